/**
 * `npm run bench`: builds the service, starts it embedded (PGlite) and, when DATABASE_URL is set,
 * against that PostgreSQL server (in a fresh database it drops afterwards; REDIS_URL is passed on),
 * runs autocannon scenarios and prints each next to a bare Fastify route measured in the same run.
 *
 *   npm run bench                                   # embedded only
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 npm run bench
 *   BENCH_ONLY=postgres BENCH_DURATION=5 BENCH_PROFILE=/tmp/prof npm run bench
 *
 * With `wrk` installed it also measures the read routes (the popular read, a product by one id and
 * by 1,000 ids) against the bare route with wrk, with the service's CPU time per request
 * (BENCH_WRK=0 skips it; BENCH_WRK_THREADS, default 1). `npm run bench:wrk-reads` runs that table
 * alone, repeated; `bench/wrk-ab.ts` compares two builds run by run.
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { deleteKeysUnder } from '../test/helpers/redis-keys.js';
import { printTable, runScenario, startProcess, type Result } from './lib.js';
import { couponStampede, reads, type BenchScenario } from './scenarios.js';
import { flashSale, orderAndPay, pgbenchHotRow } from './orders.js';
import { popularTop5, sellBeforeStart, TOP5_PATH } from './popular.js';
import { createServerDb } from './server-db.js';
import { wrkAvailable, wrkReadRoutes, wrkTable } from './wrk.js';

// At least 16 characters: the service refuses a shorter admin token.
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };
const duration = Number(process.env['BENCH_DURATION'] ?? 10);
const only = process.env['BENCH_ONLY'];
// BENCH_PROFILE=/some/dir writes a V8 CPU profile of each service process there.
const profileDir = process.env['BENCH_PROFILE'];
const SERVICE = [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), 'dist/src/server.js'];

async function post(baseUrl: string, p: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(baseUrl + p, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, number>>;
}

async function inBatches<T>(n: number, make: (i: number) => Promise<T>, batch = 25): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += batch) out.push(...(await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, k) => make(i + k)))));
  return out;
}

export interface Fixture {
  baseUrl: string;
  productIds: number[];
  userIds: number[];
  admin: Record<string, string>;
  post: typeof post;
  /** Count rows with SQL on the server (undefined when embedded). */
  count?: (query: string, params?: unknown[]) => Promise<number>;
}

/** The yardstick, measured afresh before each mode so both sides of a ratio see the same machine. */
async function measureBare(): Promise<Result> {
  const bareProc = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], {}, { readyPath: '/hello', inheritEnv: true });
  try {
    return await runScenario(bareProc.baseUrl, { name: 'bare Fastify GET /hello', path: () => '/hello', duration });
  } finally {
    await bareProc.stop();
  }
}

async function benchMode(mode: 'embedded' | 'postgres'): Promise<void> {
  const env: Record<string, string> = { ADMIN_TOKEN, SEED_DEMO: 'false' };
  let cleanup = async () => {};
  let pool: pg.Pool | undefined;
  if (mode === 'postgres') {
    const db = await createServerDb(process.env['DATABASE_URL']!);
    env['DATABASE_URL'] = db.url;
    const redisUrl = process.env['REDIS_URL'];
    const redisPrefix = `bench:${Date.now()}:`;
    if (redisUrl) Object.assign(env, { REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix });
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    cleanup = async () => {
      await pool!.end();
      await db.drop();
      if (redisUrl) {
        const redis = new Redis(redisUrl);
        await deleteKeysUnder(redis, redisPrefix);
        redis.disconnect();
      }
    };
  } else {
    env['DATA_DIR'] = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    // The service inherits this process's environment: blank the URLs, or "embedded" would run on them.
    Object.assign(env, { DATABASE_URL: '', REDIS_URL: '' });
    const dir = env['DATA_DIR'];
    cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
  }
  await sellBeforeStart(env);
  const app = await startProcess(SERVICE, env, { readyPath: '/ready', inheritEnv: true, timeoutMs: 90_000 });
  try {
    const productIds = (await inBatches(1_000, (i) => post(app.baseUrl, '/api/v1/admin/products', { name: `bench ${i}`, price: 1_000 + i, stock: 1_000_000 }, ADMIN))).map((p) => p['id']!);
    const userIds = (await inBatches(3_000, (i) => post(app.baseUrl, '/api/v1/users', { name: `user ${i}` }))).map((u) => u['userId']!);
    const fixture: Fixture = {
      baseUrl: app.baseUrl,
      productIds,
      userIds,
      admin: ADMIN,
      post,
      ...(pool ? { count: async (q: string, params: unknown[] = []) => Number((await pool.query(q, params)).rows[0].v) } : {}),
    };
    const bare = await measureBare();
    const gate = mode === 'embedded' ? 'in-process gate, PGlite' : env['REDIS_URL'] ? 'Redis gate + PostgreSQL' : 'PostgreSQL only';
    const rows = await runAll(fixture, [...reads, popularTop5, couponStampede(gate), orderAndPay]);
    // The hot row's yardstick right before the flash sale: pgbench on one row, as many clients.
    const pgbenchTps = mode === 'postgres' ? await pgbenchHotRow(env['DATABASE_URL']!, 50, duration) : undefined;
    const [sale] = await runAll(fixture, [flashSale]);
    rows.push(sale!);
    if (pgbenchTps) {
      console.log(`  pgbench, one hot row, 50 clients: ${Math.round(pgbenchTps)} tps; flash sale ${Math.round(sale!.rps)} req/s = ${(sale!.rps / pgbenchTps).toFixed(2)} of it`);
    }
    if (mode === 'postgres' && env['REDIS_URL']) {
      // The database-only path: the same service with Redis unreachable, as when Redis is down.
      const degraded = await startProcess(SERVICE, { ...env, REDIS_URL: 'redis://127.0.0.1:1' }, { inheritEnv: true, timeoutMs: 90_000 });
      try {
        rows.push(...(await runAll({ ...fixture, baseUrl: degraded.baseUrl }, [couponStampede('PostgreSQL only (Redis down)')])));
      } finally {
        await degraded.stop();
      }
    }
    printTable(`${mode}${env['REDIS_URL'] ? ' + Redis' : ''} (${os.cpus().length} cores, ${duration}s per read scenario)`, bare, rows);
    if (process.env['BENCH_WRK'] !== '0' && wrkAvailable()) {
      await wrkTable(mode, app.baseUrl, wrkReadRoutes(TOP5_PATH, productIds), duration, app.process.pid);
    }
  } finally {
    await app.stop();
    await cleanup();
  }
}

async function runAll(fixture: Fixture, list: BenchScenario[]): Promise<Result[]> {
  const rows: Result[] = [];
  for (const s of list) {
    const prepared = await s.prepare(fixture);
    const r = await runScenario(fixture.baseUrl, { duration, ...prepared.scenario });
    rows.push(r);
    const check = await prepared.verify?.(r.statuses);
    if (check) console.log(`  ${r.scenario}: ${check}`);
  }
  return rows;
}

async function main(): Promise<void> {
  console.log('building…');
  execSync('npm run build', { stdio: 'inherit' });
  if (only !== 'postgres') await benchMode('embedded');
  if (only !== 'embedded') {
    if (process.env['DATABASE_URL']) await benchMode('postgres');
    else console.log('\n(set DATABASE_URL to also measure on a PostgreSQL server)');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
