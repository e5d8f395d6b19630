import path from 'node:path';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/platform/db/db.js';
import { runMigrations } from '../src/platform/db/migrate.js';
import type { BenchScenario } from './scenarios.js';

export const TOP5_PATH = '/api/v1/products/popular/top5';

/**
 * Before the service starts: 7 products and paid orders of yesterday, written straight into its
 * database (there is no order route yet), so that its start-up ranking has 5 rows to serve.
 */
export async function sellBeforeStart(env: Record<string, string>): Promise<void> {
  const url = env['DATABASE_URL'];
  const database = await openDatabase({ url, pgliteDir: url ? undefined : path.join(env['DATA_DIR']!, 'pglite'), poolSize: 1 });
  try {
    await runMigrations(database, url);
    await database.db.execute(sql`INSERT INTO users (name) VALUES ('bench buyer')`);
    await database.db.execute(sql`INSERT INTO products (name, price, stock) SELECT 'Popular ' || g, 1000 * g, 1000 FROM generate_series(1, 7) g`);
    await database.db.execute(sql`
      WITH o AS (
        INSERT INTO orders (order_number, user_id, status, item_amount, shipping_amount, discount_amount, payment_amount, hold_until, paid_at)
        SELECT 'BENCH-' || g, 1, 'PAID', 1000 * g * g, 0, 0, 1000 * g * g, now(), now() - interval '1 day' FROM generate_series(1, 7) g
        RETURNING id, substr(order_number, 7)::int AS g)
      INSERT INTO order_items (order_id, product_id, product_name, unit_price, quantity, amount)
      SELECT id, g, 'Popular ' || g, 1000 * g, g, 1000 * g * g FROM o`);
  } finally {
    await database.close();
  }
}

/** The ranking read, served from memory; checks first that it serves the 5 products. */
export const popularTop5: BenchScenario = {
  prepare: async (f) => {
    const ranking = (await (await fetch(f.baseUrl + TOP5_PATH)).json()) as unknown[];
    if (ranking.length !== 5) throw new Error(`the ranking has ${ranking.length} rows, expected 5`);
    return { scenario: { name: 'GET /products/popular/top5 (5 rows, from memory)', path: () => TOP5_PATH } };
  },
};
