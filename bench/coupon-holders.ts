/**
 * What one coupon held by many users costs an instance: the first issue request after a restart,
 * the event-loop stall it causes for every other route, the instance's RSS growth, and the
 * coupon's Redis keys.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 \
 *     npx tsx bench/coupon-holders.ts [--holders 1000000] [--runs 3] [--root DIR]
 *
 * A fresh database gets HOLDERS users, a coupon (total HOLDERS + 1,000) and HOLDERS issued rows
 * (SQL generate_series). Each run then starts a fresh instance (new Redis prefix: empty gate, empty
 * memo), waits until it is idle, and while a probe sends `GET /health` back to back, sends one
 * issue request for a user without the coupon (201), then one for a holder (409). The stall is the
 * slowest probe answer, next to the slowest in the second before (the machine's own noise). `--root` runs the service from another checkout (to measure the code before
 * a change); the database is dropped and the Redis keys deleted at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serviceArgs } from './lib.js';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort } from '../test/helpers/instances.js';
import { createServerDb } from './server-db.js';

const { values } = parseArgs({
  options: { holders: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' }, root: { type: 'string', default: process.cwd() } },
});
const HOLDERS = Number(values.holders);
const RUNS = Number(values.runs);
const ROOT = path.resolve(values.root!);
const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const ADMIN_TOKEN = 'bench-admin-token-0123';

interface Service {
  base: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startService(env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coupon-holders-'));
  const child = spawn(process.execPath, serviceArgs('src/server.ts', ['--import', 'tsx']), {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}`);
    if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) break;
    if (i > 600) throw new Error('service did not start within 120 s');
    await sleep(200);
  }
  return {
    base,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => {
          fs.rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function post(base: string, body: unknown): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/api/v1/coupons/issue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.text();
  return { status: res.status, ms: performance.now() - t0 };
}

async function redisBytes(redis: Redis, prefix: string, couponId: number): Promise<number> {
  let total = 0;
  for (const key of await redis.keys(`${prefix}*coupon:{${couponId}}:*`)) total += Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  return total;
}

async function main(): Promise<void> {
  const db = await createServerDb(DATABASE_URL, 'coupon_holders');
  const redis = new Redis(REDIS_URL);
  const prefixes: string[] = [];
  try {
    // Migrate with one start of the service.
    const env = { DATABASE_URL: db.url, REDIS_URL, ADMIN_TOKEN, SEED_DEMO: 'false' };
    await (await startService({ ...env, REDIS_PREFIX: 'coupon-holders-migrate:' })).stop();
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    const t0 = performance.now();
    await sql.query(`INSERT INTO users (name) SELECT 'u' || g FROM generate_series(1, $1::int + ${RUNS * 2}) g`, [HOLDERS]);
    const couponId = (
      await sql.query(
        `INSERT INTO coupons (name, code, discount_type, discount_value, total_quantity, issued_quantity, issue_start_at, issue_end_at, validity_days)
         VALUES ('Welcome', 'WELCOME', 'FIXED', 1000, $1::int + 1000, $1::int, now() - interval '1 day', now() + interval '30 days', 30) RETURNING id`,
        [HOLDERS],
      )
    ).rows[0].id as string;
    const coupon = Number(couponId);
    await sql.query(
      `INSERT INTO coupon_issues (coupon_id, user_id, issued_at, expires_at) SELECT $1, id, now(), now() + interval '30 days' FROM users ORDER BY id LIMIT $2`,
      [coupon, HOLDERS],
    );
    await sql.query('VACUUM ANALYZE');
    const free = (await sql.query(`SELECT id FROM users ORDER BY id OFFSET $1`, [HOLDERS])).rows.map((r) => Number(r.id));
    const holder = Number((await sql.query(`SELECT min(user_id) AS id FROM coupon_issues`)).rows[0].id);
    await sql.end();
    console.log(`set up ${HOLDERS.toLocaleString('en')} holders of coupon ${coupon} in ${((performance.now() - t0) / 1000).toFixed(1)} s; service from ${ROOT}`);

    const rows: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const prefix = `coupon-holders:${Date.now()}:${run}:`;
      prefixes.push(prefix);
      const svc = await startService({ ...env, REDIS_PREFIX: prefix });
      try {
        // Warm: connections, JIT, the user cache of the asking users (a 404 coupon reads them).
        for (let i = 0; i < 50; i++) await fetch(`${svc.base}/health`).then((r) => r.text());
        for (const u of [free[run * 2]!, holder]) {
          const warm = await post(svc.base, { couponId: 999_999_999, userId: u });
          if (warm.status !== 404) throw new Error(`warm-up answered ${warm.status}, not 404`);
        }
        await sleep(1_000);
        const rssBefore = rssMb(svc.child.pid!);
        let probing = true;
        let worst = 0;
        let probes = 0;
        const probe = (async () => {
          while (probing) {
            const t = performance.now();
            await fetch(`${svc.base}/health`).then((r) => r.text());
            worst = Math.max(worst, performance.now() - t);
            probes++;
          }
        })();
        // The probe's own worst answer with nothing else in flight: the machine's noise.
        await sleep(1_000);
        const idle = worst;
        worst = 0;
        const first = await post(svc.base, { couponId: coupon, userId: free[run * 2]! });
        const again = await post(svc.base, { couponId: coupon, userId: holder });
        await sleep(200);
        probing = false;
        await probe;
        await sleep(1_000);
        const rssAfter = rssMb(svc.child.pid!);
        const bytes = await redisBytes(redis, prefix, coupon);
        const line =
          `| ${run + 1} | ${first.ms.toFixed(0)} ms (${first.status}) | ${again.ms.toFixed(0)} ms (${again.status}) | ${worst.toFixed(0)} ms (idle: ${idle.toFixed(0)} ms; ${probes} probes) ` +
          `| ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB (+${(rssAfter - rssBefore).toFixed(0)}) | ${(bytes / 1024).toFixed(1)} KB |`;
        console.log(line);
        rows.push(line);
      } finally {
        await svc.stop();
      }
    }
    console.log('\n| run | first issue (new user) | then a holder | worst /health meanwhile (and in the 1 s before) | instance RSS | Redis keys of the coupon |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    for (const p of prefixes) {
      const keys = await redis.keys(`${p}*`);
      if (keys.length) await redis.del(...keys);
    }
    redis.disconnect();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
