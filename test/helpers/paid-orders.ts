import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../src/platform/db/db.js';

export interface Line {
  productId: number;
  quantity: number;
  unitPrice?: number;
  /** The product name stored on the line (the name when ordered). */
  name?: string;
}

/**
 * Writes an order and its lines straight into the tables (no order route exists yet), with amounts
 * that satisfy the constraints. PAID orders get `paidAt`; the others keep it null, as the schema
 * demands, and get `createdAt` instead so that they sit inside a window by creation time.
 */
export async function insertOrder(
  db: Db,
  o: { userId: number; at: Date; status?: 'PAID' | 'CREATED' | 'PAYMENT_FAILED' | 'CANCELLED'; lines: Line[] },
): Promise<number> {
  const status = o.status ?? 'PAID';
  const itemAmount = o.lines.reduce((sum, l) => sum + (l.unitPrice ?? 1_000) * l.quantity, 0);
  const at = o.at.toISOString();
  const [order] = await queryRows<{ id: number }>(
    db,
    sql`INSERT INTO orders (order_number, user_id, status, item_amount, shipping_amount, discount_amount, payment_amount,
                            created_at, hold_until, paid_at, cancelled_at)
        VALUES (${`T-${randomBytes(8).toString('hex')}`}, ${o.userId}, ${status}, ${itemAmount}, 0, 0, ${itemAmount},
                ${at}, ${at}::timestamptz + interval '10 minutes',
                ${status === 'PAID' ? at : null}, ${status === 'CANCELLED' ? at : null})
        RETURNING id`,
  );
  for (const l of o.lines) {
    const price = l.unitPrice ?? 1_000;
    await db.execute(sql`
      INSERT INTO order_items (order_id, product_id, product_name, unit_price, quantity, amount)
      VALUES (${order!.id}, ${l.productId}, ${l.name ?? 'as ordered'}, ${price}, ${l.quantity}, ${price * l.quantity})`);
  }
  return order!.id;
}

/** A user to own test orders. */
export async function insertBuyer(db: Db): Promise<number> {
  const [row] = await queryRows<{ id: number }>(db, sql`INSERT INTO users (name) VALUES ('buyer') RETURNING id`);
  return row!.id;
}

/** Products straight into the table, returned in id order. */
export async function insertProducts(db: Db, n: number, price = 1_000): Promise<number[]> {
  const rows = await queryRows<{ id: number }>(
    db,
    sql`INSERT INTO products (name, price, stock) SELECT 'product ' || g, ${price}, 100 FROM generate_series(1, ${n}) g RETURNING id`,
  );
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

/** The instant of local midnight starting `date` in a zone given as a fixed offset such as +09:00. */
export const midnight = (date: string, offset: string) => new Date(`${date}T00:00:00${offset}`);
