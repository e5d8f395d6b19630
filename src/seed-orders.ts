import { sql } from 'drizzle-orm';
import type { Db } from './platform/db/db.js';
import { ITEM_JSON, ORDER_PAID_EVENT } from './modules/orders/index.js';

const HOUR = 3_600_000;
// [days ago, hour of day (UTC), user index, [[product index, quantity], ...]]: a few days of sales
// with a clear favourite, so that the ranking has something to show on first start.
const DEMO_ORDERS: Array<[number, number, number, Array<[number, number]>]> = [
  [4, 2, 0, [[0, 1], [2, 2]]],
  [3, 5, 3, [[3, 4], [7, 10]]],
  [3, 9, 0, [[8, 2]]],
  [3, 13, 1, [[3, 2], [10, 1]]],
  [2, 1, 3, [[0, 2], [5, 1]]],
  [2, 6, 2, [[7, 5]]],
  [2, 11, 3, [[4, 1], [3, 1]]],
  [1, 3, 0, [[3, 3], [11, 1]]],
  [1, 8, 3, [[1, 1], [2, 1]]],
  [1, 15, 1, [[7, 4], [5, 2]]],
  [0, 1, 3, [[3, 2], [9, 1]]],
];

/**
 * Writes the demo's paid orders exactly as a real payment would: stock taken with a RESERVE
 * movement, balance taken with a PAYMENT ledger row, and an order.paid event in the outbox (the
 * relay delivers them on first start). Users are seeded in order with ids 1..n, products 1..m.
 */
export async function seedPaidOrders(tx: Db, now: Date): Promise<void> {
  for (const [daysAgo, hour, user, lines] of DEMO_ORDERS) {
    const day = new Date(now.getTime() - daysAgo * 24 * HOUR);
    day.setUTCHours(hour, 0, 0, 0);
    const at = (day.getTime() > now.getTime() ? new Date(now.getTime() - HOUR) : day).toISOString();
    const ids = sql.param(lines.map(([p]) => p + 1));
    const qtys = sql.param(lines.map(([, q]) => q));
    await tx.execute(sql`
      WITH req AS (
        SELECT r.product_id, r.qty, r.line_no FROM unnest(${ids}::bigint[], ${qtys}::int[]) WITH ORDINALITY AS r(product_id, qty, line_no)
      ), lines AS (
        SELECT p.id, p.name, p.price, r.qty, r.line_no FROM products p JOIN req r ON r.product_id = p.id
      ), amounts AS (
        SELECT sum(price * qty)::bigint AS item, CASE WHEN sum(price * qty) >= 30000 THEN 0 ELSE 3000 END::bigint AS shipping FROM lines
      ), o AS (
        INSERT INTO orders (order_number, user_id, status, item_amount, shipping_amount, discount_amount, payment_amount,
                            created_at, hold_until, paid_at, updated_at)
        SELECT 'DEMO-' || to_char(${at}::timestamptz AT TIME ZONE 'UTC', 'YYYYMMDDHH24MI'), ${user + 1}::bigint, 'PAID',
               a.item, a.shipping, 0, a.item + a.shipping, ${at}::timestamptz, ${at}::timestamptz + interval '10 minutes',
               ${at}::timestamptz, ${at}::timestamptz
        FROM amounts a
        RETURNING id, order_number, user_id, item_amount, shipping_amount, discount_amount, payment_amount, paid_at
      ), items AS (
        INSERT INTO order_items (order_id, product_id, product_name, unit_price, quantity, amount)
        SELECT o.id, l.id, l.name, l.price, l.qty, l.price * l.qty FROM o, lines l ORDER BY l.line_no
      ), stock AS (
        UPDATE products p SET stock = p.stock - l.qty FROM lines l WHERE p.id = l.id
      ), moves AS (
        INSERT INTO stock_movements (product_id, kind, delta, order_id, created_at) SELECT l.id, 'RESERVE', -l.qty, o.id, o.paid_at FROM lines l, o
      ), paid AS (
        UPDATE users u SET balance = u.balance - o.payment_amount FROM o WHERE u.id = o.user_id RETURNING u.id, u.balance
      ), ledger AS (
        INSERT INTO balance_history (user_id, type, amount, balance_after, order_id, created_at)
        SELECT o.user_id, 'PAYMENT', o.payment_amount, p.balance, o.id, o.paid_at FROM o, paid p
      ), paid_order AS (
        SELECT o.*, (SELECT jsonb_agg(${ITEM_JSON} ORDER BY line_no)
                     FROM (SELECT id AS product_id, name AS product_name, price AS unit_price, qty AS quantity, price * qty AS amount, line_no FROM lines) l) AS items
        FROM o
      ), event_key AS (SELECT gen_random_uuid() AS event_id)
      ${ORDER_PAID_EVENT}`);
  }
}
