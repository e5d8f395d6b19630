import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../platform/db/db.js';
import { isoText, ITEM_JSON } from './order-sql.js';
import { ORDER_COLUMNS, toStoredOrder, type RawOrder, type StoredOrder } from './pay-order.repo.js';

const WITH_ITEMS = sql`${ORDER_COLUMNS}, o.status, ${isoText('o.paid_at')} AS paid_at,
  (SELECT coalesce(jsonb_agg(${ITEM_JSON} ORDER BY i.id), '[]'::jsonb) FROM order_items i WHERE i.order_id = o.id) AS items`;

export async function findOrder(db: Db, orderId: number): Promise<StoredOrder | undefined> {
  const [row] = await queryRows<RawOrder>(db, sql`SELECT ${WITH_ITEMS} FROM orders o WHERE o.id = ${orderId}`);
  return row && toStoredOrder(row);
}

/** The user's orders with ids below `beforeId`, newest first; one more than `limit` to tell if a next page exists. */
export async function listOrdersBefore(db: Db, userId: number, beforeId: number | undefined, limit: number): Promise<StoredOrder[]> {
  const rows = await queryRows<RawOrder>(
    db,
    sql`SELECT ${WITH_ITEMS} FROM orders o
        WHERE o.user_id = ${userId} ${beforeId === undefined ? sql`` : sql`AND o.id < ${beforeId}`}
        ORDER BY o.id DESC LIMIT ${limit + 1}`,
  );
  return rows.map(toStoredOrder);
}

/** The user an order belongs to. */
export async function findOrderOwner(db: Db, orderId: number): Promise<number | undefined> {
  const [row] = await queryRows<{ user_id: number | string }>(db, sql`SELECT user_id FROM orders WHERE id = ${orderId}`);
  return row && Number(row.user_id);
}
