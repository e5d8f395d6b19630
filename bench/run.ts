/**
 * `npm run bench`: builds the service, starts it embedded (PGlite) and, when DATABASE_URL is set,
 * against that PostgreSQL server (in a fresh database it drops afterwards; REDIS_URL is passed on, and
 * NATS_URL too, with a JetStream stream of the run's own that it deletes afterwards: the paid
 * orders' events go where they go in production; without NATS_URL, to the file sink),
 * and runs each autocannon scenario right after its yardstick: the bare Fastify route in a process
 * of its own (the flash sale: once more after pgbench on one hot row). Before each scenario it
 * waits for the relay to empty the outbox, so no scenario pays for the previous one's events.
 *
 *   npm run bench                                   # embedded only
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 NATS_URL=nats://127.0.0.1:4222 npm run bench
 *   BENCH_ONLY=postgres BENCH_DURATION=5 BENCH_PROFILE=/tmp/prof npm run bench
 *   BENCH_ONLY=postgres BENCH_AUTOCANNON=0 …                     # the wrk table only
 *
 * With `wrk` installed, the server mode then runs every scenario again under wrk, each right after
 * its yardstick (the bare GET, or for the stampede a bare POST that validates the same body and
 * answers 409; pgbench for the flash sale), with the service's CPU time per request; the embedded
 * mode measures the read routes only (BENCH_WRK=0 skips wrk; BENCH_WRK_THREADS, default 1;
 * BENCH_WRK_ROUNDS, default 5: how many times each read is measured, alternated with its yardstick).
 * `npm run bench:wrk-reads` runs the read table alone, repeated; `bench/wrk-ab.ts` compares two
 * builds run by run.
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { connectNats, jetstreamManager } from '../src/platform/events/nats.js';
import { deleteKeysUnder } from '../test/helpers/redis-keys.js';
import { printTable, runScenario, serviceArgs, startBareServer, startProcess, type Result, type Scenario } from './lib.js';
import { couponStampede, reads, type BenchScenario } from './scenarios.js';
import { flashSale, orderAndPay, pgbenchHotRow } from './orders.js';
import { popularTop5, sellBeforeStart, TOP5_PATH } from './popular.js';
import { createServerDb } from './server-db.js';
import { runWrkScenario, wrkAvailable, wrkBareScenario, wrkReadRoutes, wrkTable, type WrkResult } from './wrk.js';

// At least 16 characters: the service refuses a shorter admin token.
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };
const duration = Number(process.env['BENCH_DURATION'] ?? 10);
const only = process.env['BENCH_ONLY'];
// BENCH_PROFILE=/some/dir writes a V8 CPU profile of each service process there.
const profileDir = process.env['BENCH_PROFILE'];
const SERVICE = serviceArgs('dist/src/server.js', profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);

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
  /** Waits until the previous scenario's background work (the outbox) is done. */
  settle?: () => Promise<void>;
}

/** The yardstick, measured afresh before each mode so both sides of a ratio see the same machine. */
async function measureBare(): Promise<Result> {
  const bareProc = await startBareServer();
  try {
    return await runScenario(bareProc.baseUrl, { name: 'bare Fastify GET /hello', path: () => '/hello', duration });
  } finally {
    await bareProc.stop();
  }
}

async function benchMode(mode: 'embedded' | 'postgres'): Promise<void> {
  // DATA_DIR: the file sink's events and PGlite's files, never the checkout's ./data.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const env: Record<string, string> = { ADMIN_TOKEN, SEED_DEMO: 'false', DATA_DIR: dataDir };
  let cleanup = async () => fs.rmSync(dataDir, { recursive: true, force: true });
  let pool: pg.Pool | undefined;
  if (mode === 'postgres') {
    const db = await createServerDb(process.env['DATABASE_URL']!);
    env['DATABASE_URL'] = db.url;
    const redisUrl = process.env['REDIS_URL'];
    const redisPrefix = `bench:${Date.now()}:`;
    if (redisUrl) Object.assign(env, { REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix });
    // A stream of the run's own, so that a shop's ORDERS stream on the same server is left alone.
    const natsUrl = process.env['NATS_URL'];
    const stream = `BENCH_${Date.now()}`;
    if (natsUrl) Object.assign(env, { NATS_URL: natsUrl, NATS_STREAM: stream, NATS_SUBJECT: `bench.${stream.toLowerCase()}.paid` });
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const removeDir = cleanup;
    cleanup = async () => {
      await pool!.end();
      await db.drop();
      if (redisUrl) {
        const redis = new Redis(redisUrl);
        await deleteKeysUnder(redis, redisPrefix);
        redis.disconnect();
      }
      if (natsUrl) {
        const nc = await connectNats(natsUrl, 'bench-cleanup');
        await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false);
        await nc.close();
      }
      await removeDir();
    };
  } else {
    // The service inherits this process's environment: blank the URLs, or "embedded" would run on them.
    Object.assign(env, { DATABASE_URL: '', REDIS_URL: '', NATS_URL: '' });
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
    // Each scenario is measured on its own: the relay first sends what the previous one left in
    // the outbox (on the server; PGlite has one connection, and its orders are few).
    const settle = async () => {
      if (!pool) return;
      const started = Date.now();
      let unsent = 0;
      while ((unsent = Number((await pool.query('SELECT count(*) AS v FROM outbox WHERE sent_at IS NULL')).rows[0].v)) > 0 && Date.now() - started < 120_000) {
        await new Promise((r) => setTimeout(r, 200));
      }
      const waited = Date.now() - started;
      if (waited > 500) console.log(`  (waited ${(waited / 1000).toFixed(1)} s for the relay to send the outbox${unsent > 0 ? `; ${unsent} still unsent` : ''})`);
    };
    fixture.settle = settle;
    const gate = mode === 'embedded' ? 'in-process gate, PGlite' : env['REDIS_URL'] ? 'Redis gate + PostgreSQL' : 'PostgreSQL only';
    // BENCH_AUTOCANNON=0: only the wrk table (server mode).
    if (process.env['BENCH_AUTOCANNON'] !== '0' || mode === 'embedded') {
      const bare = await measureBare();
      const rows = await runAll(fixture, [...reads, popularTop5, couponStampede(gate), orderAndPay]);
      if (mode === 'postgres') {
        // The hot row's yardstick right before the flash sale: pgbench on one row, as many clients.
        const [sale] = await runAll(fixture, [flashSale], async () => pgbenchHotRow(env['DATABASE_URL']!, 50, duration));
        rows.push({ ...sale!, scenario: `${sale!.scenario}; yardstick: pgbench on one hot row (tps)` });
      } else {
        rows.push(...(await runAll(fixture, [flashSale])));
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
      printTable(`${mode}${services(env)} (${os.cpus().length} cores, ${duration}s per read scenario)`, bare, rows);
    }
    if (process.env['BENCH_WRK'] !== '0' && wrkAvailable()) {
      if (mode === 'postgres') await wrkEveryScenario(fixture, env['DATABASE_URL']!, app.process.pid, `postgres${services(env)}`);
      else {
        await settle();
        await wrkTable(mode, app.baseUrl, wrkReadRoutes(TOP5_PATH, productIds), duration, app.process.pid);
      }
    }
  } finally {
    await app.stop();
    await cleanup();
  }
}

/** ' + Redis + NATS (stream X)': the services a mode's service was given, for the tables' titles. */
const services = (env: Record<string, string>) =>
  `${env['REDIS_URL'] ? ' + Redis' : ''}${env['NATS_URL'] ? ` + NATS (stream ${env['NATS_STREAM']})` : ' (events: file sink)'}`;

/**
 * Every scenario again under wrk (issue 9's targets), each right after its yardstick: the bare
 * Fastify route in a process of its own (GET /hello; for the stampede, POST /refuse with the same
 * bodies, answered 409), and for the flash sale pgbench on one hot row as well.
 */
async function wrkEveryScenario(f: Fixture, databaseUrl: string, pid: number | undefined, label: string): Promise<void> {
  const bareRun = (s: Scenario) => wrkBareScenario(s, duration);
  const hello: Scenario = { name: 'bare', path: () => '/hello' };
  const cpu = (r: WrkResult) => (r.cpuUs === undefined ? '?' : r.cpuUs.toFixed(0));
  console.log(`\n${label} — every scenario under wrk (1 thread, 50 connections, ${duration}s each), each right after its yardstick`);
  console.log('| scenario | yardstick req/s (p99) | req/s | p50 | p99 | answers not 2xx | ratio | server CPU µs/request | data check |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  const row = (name: string, yardstick: string, r: WrkResult & { non2xx: number }, ratio: number, check = '') =>
    console.log(`| ${name} | ${yardstick} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${ratio.toFixed(2)} | ${cpu(r)} | ${check} |`);
  // The write scenarios before this (autocannon's) left dead rows behind: vacuum them now, rather
  // than let autovacuum do it during a read scenario and not during its yardstick.
  await f.settle?.();
  await vacuum(databaseUrl);
  // A read can be repeated: each is measured WRK_ROUNDS times, alternated with its yardstick, and
  // the round with the median ratio is shown (every round's ratio in the last column).
  for (const route of wrkReadRoutes(TOP5_PATH, f.productIds)) {
    const s: Scenario = { name: route.name, path: route.cycle ? (i) => route.path.replace('{}', String(route.cycle![i % route.cycle!.length])) : () => route.path };
    const rounds: Array<{ bare: WrkResult; r: WrkResult & { non2xx: number }; ratio: number }> = [];
    for (let i = 0; i < WRK_ROUNDS; i++) {
      const bare = await bareRun(hello);
      const r = await runWrkScenario(f.baseUrl, s, duration, pid, route.cycle ? route.cycle.length : 1);
      rounds.push({ bare, r, ratio: r.rps / bare.rps });
    }
    const mid = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]!;
    const all = rounds.length > 1 ? `median of ${rounds.map((x) => x.ratio.toFixed(2)).join(', ')}` : '';
    row(route.name, `${Math.round(mid.bare.rps)} (${mid.bare.p99})`, mid.r, mid.ratio, all);
  }
  for (const bench of [couponStampede('Redis gate + PostgreSQL'), orderAndPay]) {
    await f.settle?.();
    const prepared = await bench.prepare(f);
    const s = prepared.scenario;
    const bare = await bareRun(s.method === 'POST' && s.path(0).includes('/coupons/') ? { ...s, path: () => '/refuse' } : hello);
    const r = await runWrkScenario(f.baseUrl, s, duration, pid);
    // wrk counts answers that are not 2xx, not their statuses: the stampede's are its refusals (409).
    const statuses = new Map([[201, r.requests - r.non2xx]]);
    if (r.non2xx > 0) statuses.set(s.expected?.[0] ?? 0, r.non2xx);
    const check = await prepared.verify?.(statuses);
    row(s.name, `${Math.round(bare.rps)} (${bare.p99})`, r, r.rps / bare.rps, check ?? '');
  }
  await f.settle?.();
  const prepared = await flashSale.prepare(f);
  const tps = await pgbenchHotRow(databaseUrl, 50, duration);
  const r = await runWrkScenario(f.baseUrl, prepared.scenario, duration, pid);
  const check = await prepared.verify?.(new Map([[201, r.requests - r.non2xx]]));
  row(`${prepared.scenario.name} (yardstick: pgbench)`, `${Math.round(tps)} tps`, r, r.rps / tps, check ?? '');
}

/** How many times each read scenario is measured under wrk, alternated with its yardstick. */
const WRK_ROUNDS = Number(process.env['BENCH_WRK_ROUNDS'] ?? 5);

async function vacuum(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('VACUUM (ANALYZE)');
  } finally {
    await client.end();
  }
}

/** Runs each scenario right after its yardstick (by default the bare route, in a process of its own). */
async function runAll(fixture: Fixture, list: BenchScenario[], yardstick = async () => (await measureBare()).rps): Promise<Result[]> {
  const rows: Result[] = [];
  for (const s of list) {
    await fixture.settle?.();
    const prepared = await s.prepare(fixture);
    const bareRps = await yardstick();
    const r = { ...(await runScenario(fixture.baseUrl, { duration, ...prepared.scenario })), bareRps };
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
