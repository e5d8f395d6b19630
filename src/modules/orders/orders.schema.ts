import { Type, type Static } from 'typebox';
import { Id, Money, PageQuery, Timestamp } from '../../platform/http/schemas.js';

export const MAX_ORDER_LINES = 50;
export const MAX_LINE_QUANTITY = 1_000;

const OrderLine = Type.Object(
  {
    productId: Id,
    quantity: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY }),
  },
  { additionalProperties: false },
);

export const PlaceOrderBody = Type.Object(
  {
    userId: Id,
    products: Type.Array(OrderLine, {
      minItems: 1,
      maxItems: MAX_ORDER_LINES,
      description: '1..50 lines; a product may appear only once',
    }),
    couponId: Type.Optional(Type.Union([Id, Type.Null()], { description: 'a coupon the user holds; omit or null for none' })),
  },
  { additionalProperties: false },
);
export type PlaceOrderBody = Static<typeof PlaceOrderBody>;

export const PayBody = Type.Object({ orderId: Id }, { additionalProperties: false });
export type PayBody = Static<typeof PayBody>;

export const OrderParams = Type.Object({ orderId: Id });
export type OrderParams = Static<typeof OrderParams>;

export const OrderStatus = Type.Union([
  Type.Literal('CREATED'),
  Type.Literal('PAID'),
  Type.Literal('PAYMENT_FAILED'),
  Type.Literal('CANCELLED'),
]);

export const OrderItem = Type.Object({
  productId: Id,
  name: Type.String(),
  unitPrice: Money,
  quantity: Type.Integer({ minimum: 1 }),
  amount: Money,
});

export const Order = Type.Object(
  {
    orderId: Id,
    orderNumber: Type.String(),
    userId: Id,
    status: OrderStatus,
    items: Type.Array(OrderItem),
    itemAmount: Money,
    shippingAmount: Money,
    discountAmount: Money,
    paymentAmount: Money,
    couponId: Type.Union([Id, Type.Null()]),
    createdAt: Timestamp,
    paidAt: Type.Union([Timestamp, Type.Null()]),
  },
  { $id: 'Order' },
);

export const OrdersQuery = PageQuery;
export type OrdersQuery = Static<typeof OrdersQuery>;
