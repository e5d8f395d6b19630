import { Type, type Static } from 'typebox';
import { Id, Money, Timestamp } from '../../platform/http/schemas.js';

export const MAX_CHARGE = 1_000_000;

export const ChargeBody = Type.Object({
  amount: Type.Integer({ minimum: 1, maximum: MAX_CHARGE, description: 'won to add, 1..1,000,000' }),
});
export type ChargeBody = Static<typeof ChargeBody>;

export const HistoryQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
});
export type HistoryQuery = Static<typeof HistoryQuery>;

export const HistoryEntry = Type.Object({
  type: Type.Union([Type.Literal('CHARGE'), Type.Literal('PAYMENT'), Type.Literal('REFUND')]),
  amount: Type.Integer({ minimum: 1 }),
  balanceAfter: Money,
  orderId: Type.Union([Id, Type.Null()]),
  createdAt: Timestamp,
});
