import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertNumberedProducts } from './helpers/products.js';
import { productsById } from '../src/modules/catalog/catalog.repo.js';
import { lookupsOf, openDatabase, queryRows, type Database } from '../src/platform/db/db.js';
import { runMigrations } from '../src/platform/db/migrate.js';
import { isDatabaseUnavailable } from '../src/platform/db/pg-errors.js';
import { createServerDatabase, type ServerDatabase } from './helpers/databases.js';

// The lookup connections of a PostgreSQL server (src/platform/db/lookups.ts): how they plan, and a
// lost connection. What holds on PGlite too is in src/platform/db/lookups.test.ts.
describe('lookups on PostgreSQL', () => {
  let server: ServerDatabase;
  let database: Database;
  let ids: number[];
  beforeAll(async () => {
    server = await createServerDatabase();
    database = await openDatabase({ url: server.url, poolSize: 4 });
    await runMigrations(database, server.url);
    ids = await insertNumberedProducts(database.db, 1_000);
  });
  afterAll(async () => {
    await database.close();
    await server.drop();
  });

  it('plans once, and probes the primary key instead of scanning the table', async () => {
    const lookups = lookupsOf(database.db);
    const [[mode]] = (await lookups.rows('test_plan_mode', 'SELECT current_setting($1)', ['plan_cache_mode'])) as [[string]];
    expect(mode).toBe('force_generic_plan');
    // The product lookup's own statement, by name, on the lookup connection that ran it: generic plans only.
    const batch = ids.slice(100, 142);
    for (let i = 0; i < 8; i++) await productsById.load(database.db, batch[i]!);
    const plans = await lookups.rows('test_prepared', 'SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1', [
      'catalog_products_by_ids',
    ]);
    expect(plans.length).toBe(1);
    const [statement, generic, custom] = plans[0] as [string, number, number];
    expect([Number(generic) > 0, Number(custom)]).toEqual([true, 0]);
    // That statement explained for a batch of 42 ids out of 1,000 rows: a scan of the table would
    // be the cheaper plan for `id = ANY($1)`; the lateral LIMIT 1 keeps one index probe per id.
    const plan = await lookups.rows('test_explain', `EXPLAIN (COSTS OFF) ${statement.replace('$1', `'{${batch.join(',')}}'`)}`, []);
    const text = plan.map((r) => r[0]).join('\n');
    expect(text).toMatch(/Index Scan using products_pkey/);
    expect(text).not.toMatch(/Seq Scan on products/);
  });

  it('fails only the lookup whose statement failed; the lookups after it answer', async () => {
    const lookups = lookupsOf(database.db);
    await expect(lookups.rows('test_division', 'SELECT 1 / $1::int', ['0'])).rejects.toThrow(/division by zero/);
    expect(await lookups.rows('test_division', 'SELECT 1 / $1::int', ['1'])).toEqual([['1']]);
    const answers = await Promise.all([ids[3]!, ids[4]!].map((id) => productsById.load(database.db, id)));
    expect(answers.map((a) => a?.name)).toEqual(['lookup 4', 'lookup 5']);
  });

  it('loses a connection without losing the service: the next lookups reconnect', async () => {
    await productsById.load(database.db, ids[1]!);
    const killed = await queryRows<{ n: number }>(
      database.db,
      sql`SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'ecommerce-lookups') t`,
    );
    expect(killed[0]!.n).toBeGreaterThan(0);
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      try {
        outcomes.push((await productsById.load(database.db, ids[2]!))?.name ?? 'missing');
      } catch (err) {
        // A lookup that met the dead connection fails as "database unavailable" (503), never otherwise.
        expect(isDatabaseUnavailable(err)).toBe(true);
        outcomes.push('unavailable');
      }
    }
    expect(outcomes.slice(-3)).toEqual(['lookup 3', 'lookup 3', 'lookup 3']);
  });
});
