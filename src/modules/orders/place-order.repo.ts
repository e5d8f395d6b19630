import { sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/db.js';
import { rawStatement } from '../../platform/db/prepared.js';
import { pgCode } from '../../platform/db/pg-errors.js';

export interface PlaceOrderInput {
  userId: number;
  lines: Array<{ productId: number; quantity: number }>;
  couponId: number | null;
  shippingFee: number;
  freeShippingThreshold: number;
  holdSeconds: number;
}

export interface LockedLine {
  productId: number;
  name: string;
  unitPrice: number;
  quantity: number;
  amount: number;
  stock: number;
}

/** What the statement saw and did: enough to name the first failed check, or to answer the order. */
export interface PlaceOrderResult {
  userFound: boolean;
  balance: number;
  /** The lines whose product exists, in the request's order, with the stock they found. */
  lines: LockedLine[];
  stockOk: boolean;
  coupon: { owned: boolean; used: boolean; expired: boolean; minimum: number } | undefined;
  amounts: { itemAmount: number; shippingAmount: number; discountAmount: number; paymentAmount: number };
  /** Set when the order was written: PAID, or PAYMENT_FAILED holding its stock and coupon. */
  order: { orderId: number; orderNumber: string; status: 'PAID' | 'PAYMENT_FAILED'; createdAt: string; paidAt: string | null } | undefined;
}

/**
 * Places and pays one order: `place_orders` with a batch of one (drizzle/0007_place_orders_set_based.sql
 * holds the whole logic). It locks every row the order may change up front, in the global order
 * (unused coupon issue, user, products by id), decides on those rows, and writes everything; all of
 * it or nothing. Runs inside the caller's transaction when `db` is one (an Idempotency-Key).
 */
export async function placeOrderAtomically(db: Db, input: PlaceOrderInput): Promise<PlaceOrderResult> {
  const [row] = await placeOrdersStatement(db, batchParams([input]));
  if (!row) throw new Error('place_orders answered no row for one order');
  return toResult(row.answer, input.couponId);
}

/**
 * Places several orders at once, each answered as if it had been placed alone, in the given
 * order: one `place_orders` call (one transaction, one round trip, and one lock, update and commit
 * of a hot product for all of them). When the database refuses the batch (it rolled back: one
 * order broke a constraint, say), each order runs on its own, so only that one fails; when the
 * connection fails, the outcome is unknown and every order fails with it.
 */
export async function placeOrders(db: Db, inputs: PlaceOrderInput[]): Promise<Array<PromiseSettledResult<PlaceOrderResult>>> {
  if (inputs.length > 1) {
    try {
      const rows = await placeOrdersStatement(db, batchParams(inputs));
      if (rows.length !== inputs.length) throw new Error(`place_orders answered ${rows.length} rows for ${inputs.length} orders`);
      return rows.map((r, i) => ({ status: 'fulfilled', value: toResult(r.answer, inputs[i]!.couponId) }));
    } catch (err) {
      if (pgCode(err) === undefined) return inputs.map(() => ({ status: 'rejected', reason: err }));
    }
  }
  return Promise.allSettled(inputs.map((input) => placeOrderAtomically(db, input)));
}

/** The settings are the same for every order of an instance; the first order's are the batch's. */
function batchParams(inputs: PlaceOrderInput[]): Record<string, unknown> {
  const first = inputs[0]!;
  return {
    orders: JSON.stringify(inputs.map((o) => ({ u: o.userId, c: o.couponId, i: o.lines.map((l) => l.productId), q: o.lines.map((l) => l.quantity) }))),
    shippingFee: first.shippingFee,
    threshold: first.freeShippingThreshold,
    holdSeconds: first.holdSeconds,
  };
}

const placeOrdersStatement = rawStatement<{ answer: RawResult }, Record<string, unknown>>(
  'orders_place_batch',
  sql`SELECT r AS answer FROM place_orders(${sql.placeholder('orders')}::jsonb, ${sql.placeholder('shippingFee')}::bigint,
        ${sql.placeholder('threshold')}::bigint, ${sql.placeholder('holdSeconds')}::double precision) r`,
);

/** One order's answer from place_orders. */
interface RawResult {
  user_found: boolean;
  balance: number | string | null;
  stock: Array<{ productId: number; stock: number }>;
  items: Array<{ productId: number; name: string; unitPrice: number; quantity: number; amount: number }>;
  stock_ok: boolean;
  owned: boolean;
  used: boolean | null;
  expired: boolean | null;
  minimum_order_amount: number | string | null;
  item_amount: number | string;
  shipping_amount: number | string;
  discount_amount: number | string;
  payment_amount: number | string;
  order_id: number | string | null;
  order_number: string | null;
  status: 'PAID' | 'PAYMENT_FAILED' | null;
  created_at: string | null;
  paid_at: string | null;
}

function toResult(r: RawResult, couponId: number | null): PlaceOrderResult {
  const stockOf = new Map(r.stock.map((s) => [s.productId, s.stock]));
  return {
    userFound: r.user_found,
    balance: Number(r.balance ?? 0),
    lines: r.items.map((i) => ({ ...i, stock: stockOf.get(i.productId) ?? 0 })),
    stockOk: r.stock_ok,
    coupon:
      couponId === null
        ? undefined
        : { owned: r.owned, used: r.used === true, expired: r.expired === true, minimum: Number(r.minimum_order_amount ?? 0) },
    amounts: {
      itemAmount: Number(r.item_amount),
      shippingAmount: Number(r.shipping_amount),
      discountAmount: Number(r.discount_amount),
      paymentAmount: Number(r.payment_amount),
    },
    order:
      r.order_id === null
        ? undefined
        : { orderId: Number(r.order_id), orderNumber: r.order_number!, status: r.status!, createdAt: r.created_at!, paidAt: r.paid_at },
  };
}
