/**
 * `npm run bench:wrk-reads`: only the wrk table of the read routes, repeated, for quick iteration.
 * Same set-up as the PostgreSQL mode of `npm run bench` (fresh database, 1,000 products, the
 * ranking of yesterday's orders), without the autocannon scenarios. Each round measures the bare
 * route (its own process) right before the service's routes.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 npm run bench:wrk-reads
 *   BENCH_ROUTES=top5,one id (names containing these only)
 *   BENCH_ROUNDS=3 BENCH_DURATION=10 BENCH_PROFILE=/tmp/prof BENCH_SERVICE_DIR=/path/to/other/checkout …
 */
import path from 'node:path';
import { Redis } from 'ioredis';
import { deleteKeysUnder } from '../test/helpers/redis-keys.js';
import { serviceArgs, startProcess } from './lib.js';
import { sellBeforeStart, TOP5_PATH } from './popular.js';
import { createServerDb } from './server-db.js';
import { wrkReadRoutes, wrkTable, type WrkRoute } from './wrk.js';

const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const duration = Number(process.env['BENCH_DURATION'] ?? 10);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const profileDir = process.env['BENCH_PROFILE'];
const serviceDir = process.env['BENCH_SERVICE_DIR'] ?? '.';
// BENCH_ROUTES=top5,one id: only the routes whose name contains one of these.
const routeFilter = process.env['BENCH_ROUTES']?.split(',');
const pick = (routes: WrkRoute[]) => (routeFilter ? routes.filter((r) => routeFilter.some((f) => r.name.includes(f))) : routes);
const databaseUrl = process.env['DATABASE_URL'];
const redisUrl = process.env['REDIS_URL'];
if (!databaseUrl) throw new Error('set DATABASE_URL (and REDIS_URL)');

const db = await createServerDb(databaseUrl, 'bench_wrk');
const redisPrefix = `bench-wrk:${Date.now()}:`;
const env: Record<string, string> = { ADMIN_TOKEN, SEED_DEMO: 'false', DATABASE_URL: db.url, ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix } : {}) };
try {
  await sellBeforeStart(env);
  const args = serviceArgs(path.join(serviceDir, 'dist/src/server.js'), profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  const app = await startProcess(args, env, { readyPath: '/ready', inheritEnv: true, timeoutMs: 90_000 });
  try {
    const productIds: number[] = [];
    for (let i = 0; i < 1_000; i += 25) {
      const made = await Promise.all(
        Array.from({ length: 25 }, async (_, k) => {
          const res = await fetch(`${app.baseUrl}/api/v1/admin/products`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
            body: JSON.stringify({ name: `wrk ${i + k}`, price: 1_000 + i + k, stock: 1_000_000 }),
          });
          return ((await res.json()) as { id: number }).id;
        }),
      );
      productIds.push(...made);
    }
    // Warm-up: the JIT and the prepared statements, not measured.
    await wrkTable('warm-up', app.baseUrl, pick(wrkReadRoutes(TOP5_PATH, productIds)), 2, app.process.pid);
    for (let round = 1; round <= rounds; round++) {
      await wrkTable(`round ${round} (${serviceDir})`, app.baseUrl, pick(wrkReadRoutes(TOP5_PATH, productIds)), duration, app.process.pid);
    }
  } finally {
    await app.stop();
  }
} finally {
  await db.drop();
  if (redisUrl) {
    const redis = new Redis(redisUrl);
    await deleteKeysUnder(redis, redisPrefix);
    redis.disconnect();
  }
}
