import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../platform/db/db.js';
import { UNPAID_LIST } from './order-sql.js';

/**
 * Cancels up to `batch` unpaid orders whose hold has ended and gives back their stock and coupon,
 * in one statement. Orders another instance (or a payment) has locked are skipped, not waited for;
 * products are locked in id order, as everywhere, so this never deadlocks with placing an order.
 * Returns the ids it cancelled.
 */
export async function cancelExpiredOrders(db: Db, batch: number): Promise<number[]> {
  const rows = await queryRows<{ id: number | string }>(
    db,
    sql`WITH due AS (
      SELECT id, user_id, coupon_id FROM orders
      WHERE status IN (${UNPAID_LIST}) AND hold_until <= now()
      ORDER BY hold_until
      LIMIT ${batch}
      FOR UPDATE SKIP LOCKED
    ), cancelled AS (
      UPDATE orders o SET status = 'CANCELLED', cancelled_at = now(), updated_at = now()
      FROM due WHERE o.id = due.id
      RETURNING o.id
    ), held AS (
      SELECT i.product_id, i.quantity, i.order_id FROM order_items i JOIN due ON due.id = i.order_id
    ), locked AS (
      SELECT p.id FROM products p WHERE p.id IN (SELECT product_id FROM held) ORDER BY p.id FOR UPDATE
    ), released AS (
      UPDATE products p SET stock = p.stock + h.qty, updated_at = now()
      FROM (SELECT product_id, sum(quantity)::int AS qty FROM held GROUP BY product_id) h, locked k
      WHERE p.id = h.product_id AND k.id = h.product_id
      RETURNING p.id
    ), moves AS (
      INSERT INTO stock_movements (product_id, kind, delta, order_id)
      SELECT h.product_id, 'RELEASE', h.quantity, h.order_id FROM held h WHERE h.product_id IN (SELECT id FROM released)
    ), coupons_back AS (
      -- The count only orders the work: products are locked before coupons, as in placing an order.
      UPDATE coupon_issues ci SET used_at = NULL, order_id = NULL
      FROM due WHERE ci.order_id = due.id AND (SELECT count(*) FROM released) >= 0
    )
    SELECT id FROM cancelled`,
  );
  return rows.map((r) => Number(r.id));
}
