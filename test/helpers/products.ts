import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../src/platform/db/db.js';

/** `n` products named `lookup 1` … `lookup n`, priced 1000 + k with stock k, analyzed; their ids in order. */
export async function insertNumberedProducts(db: Db, n: number): Promise<number[]> {
  const rows = await queryRows<{ id: number }>(
    db,
    sql`INSERT INTO products (name, price, stock) SELECT 'lookup ' || g, 1000 + g, g FROM generate_series(1, ${n}::int) g RETURNING id`,
  );
  await db.execute(sql`ANALYZE products`);
  return rows.map((r) => r.id).sort((a, b) => a - b);
}
