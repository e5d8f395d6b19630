/**
 * `npm run bench:popular-batch`: the ranking batch over 1,000,000 order lines on the PostgreSQL
 * server. Creates a fresh database (dropped afterwards), generates 500,000 orders of 2 lines each
 * spread evenly over the last 30 days (5 % of them cancelled), times the batch, prints the EXPLAIN ANALYZE of its
 * query, then measures writes to products and orders alone and while the batch runs back to back.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:popular-batch
 *   BENCH_ORDERS=500000 BENCH_DAYS=30 BENCH_WRITE_SECONDS=5   (defaults); BENCH_KEEP=1 keeps the database
 *
 * Then the real thing: the service (dist/, so `npm run build` first) on that database, and
 * `POST /api/v1/orders` (order+pay, 50 connections, autocannon) for BENCH_HTTP_SECONDS (10) alone
 * and while the batch runs back to back, twice each, alternated. BENCH_HTTP=0 skips it.
 */
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../src/config.js';
import { openDatabase, queryRows } from '../src/platform/db/db.js';
import { runMigrations } from '../src/platform/db/migrate.js';
import { PopularBatch } from '../src/modules/popular/popular.service.js';
import { rankingQuery } from '../src/modules/popular/popular.repo.js';
import { createServerDb } from './server-db.js';
import { measureWrites, summary } from './popular-writes.js';
import { runScenario, serviceArgs, startProcess, type Result } from './lib.js';

const ORDERS = Number(process.env['BENCH_ORDERS'] ?? 500_000);
const DAYS = Number(process.env['BENCH_DAYS'] ?? 30);
const WRITE_SECONDS = Number(process.env['BENCH_WRITE_SECONDS'] ?? 5);
const HTTP_SECONDS = Number(process.env['BENCH_HTTP_SECONDS'] ?? 10);
const ms = (start: number) => Math.round(performance.now() - start);

async function generate(pool: pg.Pool): Promise<void> {
  await pool.query(`INSERT INTO users (name) SELECT 'user ' || g FROM generate_series(1, 1000) g`);
  await pool.query(`INSERT INTO products (name, price, stock) SELECT 'product ' || g, 1000 + g, 1000000 FROM generate_series(1, 1000) g`);
  // Ids follow time, as when orders arrive (paid within 2 minutes of being placed). Two distinct
  // products an order; the first is skewed towards low ids (a few best sellers).
  await pool.query(`
    CREATE UNLOGGED TABLE bench_gen AS
    SELECT id, t, cancelled, p1, q1, ((p1 + off) % 1000) + 1 AS p2, q2
    FROM (SELECT g AS id, now() - interval '1 day' * ${DAYS} * (1 - g::float8 / ${ORDERS}) + random() * interval '2 minutes' AS t,
                 random() < 0.05 AS cancelled,
                 (1 + floor(1000 * power(random(), 3)))::bigint AS p1, (1 + floor(random() * 3))::int AS q1,
                 floor(random() * 999)::int AS off, (1 + floor(random() * 3))::int AS q2
          FROM generate_series(1, ${ORDERS}) g) x`);
  await pool.query(`
    INSERT INTO orders (id, order_number, user_id, status, item_amount, shipping_amount, discount_amount, payment_amount,
                        created_at, hold_until, paid_at, cancelled_at)
    OVERRIDING SYSTEM VALUE
    SELECT g.id, 'B' || g.id, 1 + g.id % 1000, CASE WHEN g.cancelled THEN 'CANCELLED' ELSE 'PAID' END,
           a.price * g.q1 + b.price * g.q2, 0, 0, a.price * g.q1 + b.price * g.q2,
           g.t, g.t + interval '10 minutes', CASE WHEN g.cancelled THEN NULL ELSE g.t END, CASE WHEN g.cancelled THEN g.t END
    FROM bench_gen g JOIN products a ON a.id = g.p1 JOIN products b ON b.id = g.p2`);
  await pool.query(`
    INSERT INTO order_items (order_id, product_id, product_name, unit_price, quantity, amount)
    SELECT g.id, l.p, p.name, p.price, l.q, p.price * l.q
    FROM bench_gen g CROSS JOIN LATERAL (VALUES (g.p1, g.q1), (g.p2, g.q2)) l(p, q) JOIN products p ON p.id = l.p`);
  await pool.query(`SELECT setval(pg_get_serial_sequence('orders', 'id'), ${ORDERS})`);
  await pool.query(`DROP TABLE bench_gen`);
  await pool.query(`VACUUM ANALYZE orders, order_items, products`);
}

async function main(): Promise<void> {
  const server = await createServerDb(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test', 'bench_popular');
  const database = await openDatabase({ url: server.url, poolSize: 4 });
  const pool = new pg.Pool({ connectionString: server.url, max: 8 });
  try {
    await runMigrations(database, server.url);
    let t = performance.now();
    await generate(pool);
    const lines = Number((await pool.query(`SELECT count(*) AS n FROM order_items`)).rows[0].n);
    console.log(`generated ${lines.toLocaleString('en')} order lines in ${ms(t)} ms`);

    const { timezone } = loadConfig({});
    const batch = new PopularBatch(database.db, { timezone });
    const times: number[] = [];
    let view;
    for (let i = 0; i < 5; i++) {
      t = performance.now();
      view = await batch.run('MANUAL');
      times.push(ms(t));
    }
    const counted = await pool.query(
      `SELECT count(*) AS n FROM orders o JOIN order_items oi ON oi.order_id = o.id WHERE o.status = 'PAID' AND o.paid_at >= $1 AND o.paid_at < $2`,
      [view!.windowStart, view!.windowEnd],
    );
    console.log(`batch (run date ${view!.runDate}, ${Number(counted.rows[0].n).toLocaleString('en')} lines in the window): ${times.join(', ')} ms`);
    console.log(view!.ranking.map((p) => `${p.rank}. #${p.productId} ${p.salesCount}`).join('  '));
    const plan = await queryRows<{ 'QUERY PLAN': string }>(
      database.db,
      sql`EXPLAIN (ANALYZE, BUFFERS) ${rankingQuery({ start: view!.windowStart, end: view!.windowEnd })}`,
    );
    console.log('\n' + plan.map((r) => r['QUERY PLAN']).join('\n'));

    const alone = await measureWrites(pool, WRITE_SECONDS * 1000);
    let stop = false;
    let runs = 0;
    const loop = (async () => {
      while (!stop) {
        await batch.run('MANUAL');
        runs++;
      }
    })();
    const during = await measureWrites(pool, WRITE_SECONDS * 1000);
    stop = true;
    await loop;
    console.log(`\nwrites for ${WRITE_SECONDS} s each, 4 writers (2 updating products, 2 inserting paid orders of 2 lines in the window):`);
    console.log('| writes | alone p50 / p99 / max ms (n) | while the batch runs back to back p50 / p99 / max ms (n) |');
    console.log('|---|---|---|');
    for (const kind of ['UPDATE products', 'INSERT order + 2 lines'] as const) {
      console.log(`| ${kind} | ${summary(alone[kind])} | ${summary(during[kind])} |`);
    }
    console.log(`batch runs during the second measurement: ${runs}`);
    if (process.env['BENCH_HTTP'] !== '0') await ordersOverHttp(server.url, batch);
  } finally {
    await pool.end();
    await database.close();
    if (process.env['BENCH_KEEP']) console.log(`kept ${server.url}`);
    else await server.drop();
  }
}

/**
 * Order+pay over HTTP against the service on the generated data (1,000 users, each funded, 1,000
 * products), alone and while the batch runs back to back in this process (as another instance's
 * run would), alternated twice; the batch's run times are printed too.
 */
async function ordersOverHttp(url: string, batch: PopularBatch): Promise<void> {
  const token = 'bench-admin-token-0123456789';
  const app = await startProcess(serviceArgs(), { DATABASE_URL: url, ADMIN_TOKEN: token, SEED_DEMO: 'false', REDIS_URL: '' }, { readyPath: '/ready', inheritEnv: true, timeoutMs: 120_000 });
  try {
    for (let id = 1; id <= 1_000; id += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, k) =>
          fetch(`${app.baseUrl}/api/v1/users/${id + k}/balance`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 1_000_000 }) }).then((r) => {
            if (!r.ok) throw new Error(`funding user ${id + k}: ${r.status}`);
            return r.arrayBuffer();
          }),
        ),
      );
    }
    const orders = (label: string) =>
      runScenario(app.baseUrl, {
        name: label,
        method: 'POST',
        path: () => '/api/v1/orders',
        body: (i) => ({ userId: 1 + ((i * 13) % 1_000), products: [{ productId: 1 + ((i * 7) % 1_000), quantity: 1 }] }),
        connections: 50,
        duration: HTTP_SECONDS,
      });
    await orders('warm-up');
    const rows: Array<{ r: Result; batchMs?: number[] }> = [];
    for (let round = 1; round <= 2; round++) {
      rows.push({ r: await orders(`alone, round ${round}`) });
      let stop = false;
      const batchMs: number[] = [];
      const loop = (async () => {
        while (!stop) {
          const t = performance.now();
          await batch.run('MANUAL');
          batchMs.push(ms(t));
        }
      })();
      const r = await orders(`while the batch runs back to back, round ${round}`);
      stop = true;
      await loop;
      rows.push({ r, batchMs });
    }
    console.log(`\nPOST /api/v1/orders (order+pay, 50 connections, ${HTTP_SECONDS} s each) on this data, service on the same database:`);
    console.log('| run | req/s | p50 ms | p99 ms | max ms | 201 | other status / errors | batch runs (ms) |');
    console.log('|---|---:|---:|---:|---:|---:|---|---|');
    for (const { r, batchMs } of rows) {
      const other = [...r.statuses].filter(([s]) => s !== 201).map(([s, n]) => `${n}×${s}`).join(' ') || '-';
      const runs = batchMs ? `${batchMs.length}: ${batchMs.join(', ')}` : '-';
      console.log(`| ${r.scenario} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.max} | ${r.statuses.get(201) ?? 0} | ${other}, ${r.errors} errors | ${runs} |`);
    }
  } finally {
    await app.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
