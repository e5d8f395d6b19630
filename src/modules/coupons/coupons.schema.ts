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

export const CreateCouponBody = Type.Object({
  name: Text(30),
  code: Type.String({ minLength: 1, maxLength: 20, pattern: '^[A-Za-z0-9_-]+$' }),
  discountType: DiscountType,
  discountValue: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'won for FIXED, percent 1..100 for PERCENTAGE' }),
  minimumOrderAmount: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 })),
  maxDiscountAmount: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000_000 }), Type.Null()])),
  totalQuantity: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
  issueStartAt: Timestamp,
  issueEndAt: Timestamp,
  validityDays: Type.Integer({ minimum: 1, maximum: 3_650 }),
});
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
