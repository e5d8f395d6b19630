import { Type, type Static } from 'typebox';
import { Id, Money, Text, Timestamp } from '../../platform/http/schemas.js';

const DiscountType = Type.Union([Type.Literal('FIXED'), Type.Literal('PERCENTAGE')]);

export const IssueBody = Type.Object({ couponId: Id, userId: Id });
export type IssueBody = Static<typeof IssueBody>;

export const IssuedCoupon = Type.Object({
  couponId: Id,
  userId: Id,
  name: Type.String(),
  discountType: DiscountType,
  discountValue: Type.Integer(),
  status: Type.Literal('AVAILABLE'),
  issuedAt: Timestamp,
  expiresAt: Timestamp,
});

export const UserCoupon = Type.Object({
  couponId: Id,
  name: Type.String(),
  discountType: DiscountType,
  discountValue: Type.Integer(),
  minimumOrderAmount: Money,
  maxDiscountAmount: Type.Union([Money, Type.Null()]),
  status: Type.Union([Type.Literal('AVAILABLE'), Type.Literal('USED'), Type.Literal('EXPIRED')]),
  issuedAt: Timestamp,
  expiresAt: Timestamp,
  usedAt: Type.Union([Timestamp, Type.Null()]),
  orderId: Type.Union([Id, Type.Null()]),
});

const InstantInput = (description: string) =>
  Type.String({
    format: 'date-time',
    description: `${description}. RFC 3339 with an offset, at most millisecond precision, no leap second, from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z`,
  });

export const CreateCouponBody = Type.Object(
  {
    name: Text(30),
    code: Type.String({ minLength: 1, maxLength: 20, pattern: '^[A-Za-z0-9_-]+$', description: 'unique among coupons' }),
    discountType: DiscountType,
    discountValue: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'won for FIXED; percent, 1..100, for PERCENTAGE' }),
    minimumOrderAmount: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 })),
    maxDiscountAmount: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000_000 }), Type.Null()], { description: 'PERCENTAGE coupons only: the cap of the discount' }),
    ),
    totalQuantity: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
    issueStartAt: InstantInput('first instant of the issue window (inclusive)'),
    issueEndAt: InstantInput('end of the issue window (exclusive); must be after issueStartAt'),
    validityDays: Type.Integer({ minimum: 1, maximum: 3_650, description: 'an issued coupon expires this many days after issue' }),
  },
  {
    description:
      'Rules across fields, checked after the schema (400 VALIDATION_ERROR): issueEndAt after issueStartAt; a PERCENTAGE discountValue is 1..100; maxDiscountAmount only for PERCENTAGE; code unique.',
  },
);
export type CreateCouponBody = Static<typeof CreateCouponBody>;

export const Coupon = Type.Object({
  id: Id,
  name: Type.String(),
  code: Type.String(),
  discountType: DiscountType,
  discountValue: Type.Integer(),
  minimumOrderAmount: Money,
  maxDiscountAmount: Type.Union([Money, Type.Null()]),
  totalQuantity: Type.Integer(),
  issuedQuantity: Type.Integer(),
  issueStartAt: Timestamp,
  issueEndAt: Timestamp,
  validityDays: Type.Integer(),
});
