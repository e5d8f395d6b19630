import { Type, type Static } from 'typebox';
import { Id, Money, Timestamp } from '../../platform/http/schemas.js';

export const PopularProduct = Type.Object(
  {
    rank: Type.Integer({ minimum: 1, maximum: 5 }),
    productId: Id,
    name: Type.String(),
    price: Money,
    salesCount: Type.Integer({ minimum: 1, description: 'units sold in PAID orders in the window' }),
  },
  { $id: 'PopularProduct' },
);

export const Top5 = Type.Array(PopularProduct, { maxItems: 5 });

/** A calendar date; the format check refuses days that do not exist (2026-02-30). */
const RunDate = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', format: 'date', description: 'YYYY-MM-DD in TIMEZONE' });

export const RunBatchBody = Type.Object({ date: Type.Optional(RunDate) });
export type RunBatchBody = Static<typeof RunBatchBody>;

export const RankingRun = Type.Object({
  runId: Id,
  runDate: Type.String({ description: 'the run date D: the window is [D-3 00:00, D 00:00) in timezone' }),
  timezone: Type.String(),
  windowStart: Timestamp,
  windowEnd: Timestamp,
  computedAt: Timestamp,
  trigger: Type.Union([Type.Literal('SCHEDULE'), Type.Literal('MANUAL'), Type.Literal('STARTUP')]),
  ranking: Top5,
});
