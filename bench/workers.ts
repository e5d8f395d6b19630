/**
 * `npm run bench:workers`: one worker against two (`WORKERS=N`, node:cluster workers sharing one
 * port), side by side under wrk on the PostgreSQL server and Redis: a product read over 1,000 ids,
 * the popular read, and order+pay over 3,000 users and 1,000 products, each right after the bare
 * Fastify route (a process of its own). Rounds alternate 1 and 2 workers so both see the same
 * machine.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 npm run bench:workers
 *   BENCH_ROUNDS=2 BENCH_DURATION=10
 */
import { execSync } from 'node:child_process';
import pg from 'pg';
import { serviceArgs, startProcess, type Scenario } from './lib.js';
import { TOP5_PATH } from './popular.js';
import { createServerDb } from './server-db.js';
import { runWrkScenario, wrkBareScenario } from './wrk.js';

const duration = Number(process.env['BENCH_DURATION'] ?? 10);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 1);
const databaseUrl = process.env['DATABASE_URL'];
const redisUrl = process.env['REDIS_URL'];
if (!databaseUrl || !redisUrl) throw new Error('set DATABASE_URL and REDIS_URL');

async function main(): Promise<void> {
  execSync('npm run build --silent', { stdio: 'inherit' });
  const db = await createServerDb(databaseUrl!, 'workers');
  const sql = new pg.Client({ connectionString: db.url });
  try {
    // The schema comes from the first start; the data straight from SQL.
    const first = await startProcess(serviceArgs(), { DATABASE_URL: db.url, REDIS_URL: '', SEED_DEMO: 'false' }, { readyPath: '/ready', inheritEnv: true, timeoutMs: 90_000 });
    await first.stop();
    await sql.connect();
    const products = (await sql.query(`INSERT INTO products (name, price, stock) SELECT 'p' || g, 1000, 10000000 FROM generate_series(1, 1000) g RETURNING id`)).rows.map((r) => Number(r.id));
    const users = (await sql.query(`INSERT INTO users (name, balance) SELECT 'u' || g, 1000000000000 FROM generate_series(1, 3000) g RETURNING id`)).rows.map((r) => Number(r.id));
    const hello: Scenario = { name: 'bare', path: () => '/hello' };
    const scenarios: Scenario[] = [
      { name: 'GET /products/:id (1,000 ids)', path: (i) => `/api/v1/products/${products[i % products.length]}` },
      { name: 'GET /products/popular/top5', path: () => TOP5_PATH },
      {
        name: 'POST /orders (order+pay)',
        method: 'POST',
        path: () => '/api/v1/orders',
        body: (i) => ({ userId: users[i % users.length], products: [{ productId: products[(i * 7) % products.length], quantity: 1 }] }),
      },
    ];
    console.log(`wrk, 1 thread, 50 connections, ${duration}s each; each scenario right after the bare route`);
    console.log('| round | workers | scenario | bare req/s | req/s | p50 | p99 | ratio |');
    console.log('|---|---:|---|---:|---:|---:|---:|---:|');
    for (let round = 1; round <= rounds; round++) {
      for (const workers of [1, 2]) {
        const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl!, REDIS_PREFIX: `workers:${Date.now()}:`, SEED_DEMO: 'false', WORKERS: String(workers) };
        const app = await startProcess(serviceArgs(), env, { readyPath: '/ready', inheritEnv: true, timeoutMs: 90_000 });
        try {
          for (const s of scenarios) {
            const b = await wrkBareScenario(hello, duration);
            const r = await runWrkScenario(app.baseUrl, s, duration);
            const bad = r.non2xx > 0 ? ` (${r.non2xx} not 2xx)` : '';
            console.log(`| ${round} | ${workers} | ${s.name}${bad} | ${Math.round(b.rps)} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${(r.rps / b.rps).toFixed(2)} |`);
          }
        } finally {
          await app.stop();
        }
      }
    }
  } finally {
    await sql.end();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
