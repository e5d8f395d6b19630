import { sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/db.js';
import { rawStatement } from '../../platform/db/prepared.js';
import { isoText, ITEM_JSON, ORDER_PAID_EVENT, UNPAID_LIST } from './order-sql.js';
import type { OrderStatus } from './orders.tables.js';

export interface StoredOrder {
  orderId: number;
  orderNumber: string;
  userId: number;
  status: OrderStatus;
  items: Array<{ productId: number; name: string; unitPrice: number; quantity: number; amount: number }>;
  itemAmount: number;
  shippingAmount: number;
  discountAmount: number;
  paymentAmount: number;
  couponId: number | null;
  createdAt: string;
  paidAt: string | null;
}

export interface PayResult {
  order: StoredOrder;
  /** The state before this call: PAID means nothing was taken now. */
  statusBefore: OrderStatus;
  /** False when an unpaid order's hold had already ended (the sweeper will cancel it). */
  live: boolean;
  /** The user's balance as this statement saw it (for the 402 details). */
  balance: number;
}

/** The order's columns as the API shows them, for a row aliased `o` with its items in `items`. */
export const ORDER_COLUMNS = sql`o.id AS order_id, o.order_number, o.user_id, o.item_amount, o.shipping_amount,
  o.discount_amount, o.payment_amount, o.coupon_id, ${isoText('o.created_at')} AS created_at`;

/**
 * Pays an unpaid order in one statement. The order row is locked first, so concurrent payments of
 * one order take turns: the first takes the money (conditional update of the balance) and marks it
 * PAID with its ledger row and outbox event; the others then find it PAID and take nothing. A
 * short balance marks it PAYMENT_FAILED. A cancelled order, or one past its hold, is left alone.
 */
export async function payOrderAtomically(db: Db, orderId: number): Promise<PayResult | undefined> {
  const [row] = await payStatement(db, { orderId });
  if (!row) return undefined;
  return { order: toStoredOrder(row), statusBefore: row.status_before, live: row.live, balance: Number(row.balance) };
}

const orderId = sql.placeholder('orderId');

const payStatement = rawStatement<RawOrder & { status_before: OrderStatus; live: boolean; balance: number | string }, { orderId: number }>(
  'orders_pay',
  sql`WITH o AS (
      SELECT *, hold_until > now() AS live FROM orders WHERE id = ${orderId}::bigint FOR UPDATE
    ), payable AS (
      SELECT * FROM o WHERE status IN (${UNPAID_LIST}) AND live
    ), paid AS (
      UPDATE users u SET balance = u.balance - p.payment_amount, updated_at = now()
      FROM payable p
      WHERE u.id = p.user_id AND u.balance >= p.payment_amount
      RETURNING u.balance
    ), settled AS (
      UPDATE orders SET
        status = CASE WHEN EXISTS (SELECT 1 FROM paid) THEN 'PAID' ELSE 'PAYMENT_FAILED' END,
        paid_at = CASE WHEN EXISTS (SELECT 1 FROM paid) THEN now() END,
        updated_at = now()
      FROM payable p
      WHERE orders.id = p.id
      RETURNING orders.*
    ), ledger AS (
      INSERT INTO balance_history (user_id, type, amount, balance_after, order_id)
      SELECT p.user_id, 'PAYMENT', p.payment_amount, b.balance, p.id FROM paid b, payable p
    ), line_json AS (
      SELECT coalesce(jsonb_agg(${ITEM_JSON} ORDER BY id), '[]'::jsonb) AS items FROM order_items WHERE order_id = ${orderId}
    ), paid_order AS (
      SELECT s.*, j.items FROM settled s, line_json j WHERE s.status = 'PAID'
    ), event_key AS (
      SELECT gen_random_uuid() AS event_id
    ), event AS (${ORDER_PAID_EVENT})
    SELECT ${ORDER_COLUMNS}, o.status AS status_before, o.live,
           coalesce(s.status, o.status) AS status, ${isoText('coalesce(s.paid_at, o.paid_at)')} AS paid_at, j.items,
           (SELECT balance FROM users WHERE id = o.user_id) AS balance
    FROM o CROSS JOIN line_json j LEFT JOIN settled s ON true`,
);

export interface RawOrder {
  order_id: number | string;
  order_number: string;
  user_id: number | string;
  status: OrderStatus;
  items: StoredOrder['items'];
  item_amount: number | string;
  shipping_amount: number | string;
  discount_amount: number | string;
  payment_amount: number | string;
  coupon_id: number | string | null;
  created_at: string;
  paid_at: string | null;
}

export function toStoredOrder(r: RawOrder): StoredOrder {
  return {
    orderId: Number(r.order_id),
    orderNumber: r.order_number,
    userId: Number(r.user_id),
    status: r.status,
    items: r.items,
    itemAmount: Number(r.item_amount),
    shippingAmount: Number(r.shipping_amount),
    discountAmount: Number(r.discount_amount),
    paymentAmount: Number(r.payment_amount),
    couponId: r.coupon_id === null ? null : Number(r.coupon_id),
    createdAt: r.created_at,
    paidAt: r.paid_at,
  };
}
