/**
 * The coupon stampede under wrk against its yardstick: the bare Fastify POST route that validates
 * the same body and answers 409 (bench/bare-server.ts, a process of its own, run right before).
 * Each round defines a new coupon of 100 and sends POST /coupons/issue for 10,000 users in turn
 * (bench/coupon-issue.lua), then checks that exactly 100 were issued, to 100 users.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 \
 *     npx tsx bench/coupon-stampede-wrk.ts [--rounds 3] [--seconds 10] [--connections 50]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { serviceArgs, startBareServer, startProcess } from './lib.js';
import { createServerDb } from './server-db.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const USERS = 10_000;
const TOTAL = 100;
const ADMIN_TOKEN = 'bench-admin-token-0123';

interface Run {
  rps: number;
  p50: number;
  p99: number;
  statuses: string;
}

const ms = (v: string) => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
};

function wrk(url: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-s', 'bench/coupon-issue.lua', url], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      if (!rps) return reject(new Error(`wrk ${url}: ${out}`));
      const pct = (p: string) => ms(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '?');
      const total = /(\d+) requests in/.exec(out)?.[1] ?? '?';
      const statuses = `${total} answers, ${/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0} not 2xx`;
      resolve({ rps: Number(rps[1]), p50: pct('50'), p99: pct('99'), statuses });
    });
  });
}

async function main(): Promise<void> {
  const db = await createServerDb(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test', 'stampede_wrk');
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: `stampede-wrk:${Date.now()}:`, ADMIN_TOKEN, SEED_DEMO: 'false', LOG_LEVEL: 'warn' };
  const service = await startProcess(serviceArgs('src/server.ts', ['--import', 'tsx']), env, { inheritEnv: true, timeoutMs: 120_000 });
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  try {
    const firstUser = Number((await sql.query(`INSERT INTO users (name) SELECT 'u' || g FROM generate_series(1, ${USERS}) g RETURNING id`)).rows[0].id);
    console.log(`| round | bare POST 409: req/s, p99 | stampede: req/s, p50, p99 | ratio | answers | issued |`);
    console.log('|---|---|---|---:|---|---|');
    for (let round = 1; round <= ROUNDS; round++) {
      const bareProc = await startBareServer();
      let bare: Run;
      try {
        bare = await wrk(`${bareProc.baseUrl}/refuse`, { COUPON_ID: '1', FIRST_USER: '1', USERS: String(USERS) });
      } finally {
        await bareProc.stop();
      }
      const res = await fetch(`${service.baseUrl}/api/v1/admin/coupons`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({
          name: 'Stampede',
          code: `WRK${Date.now().toString(36)}`,
          discountType: 'FIXED',
          discountValue: 1000,
          totalQuantity: TOTAL,
          issueStartAt: new Date(Date.now() - 3_600_000).toISOString(),
          issueEndAt: new Date(Date.now() + 3_600_000).toISOString(),
          validityDays: 7,
        }),
      });
      const couponId = ((await res.json()) as { id: number }).id;
      const run = await wrk(`${service.baseUrl}/api/v1/coupons/issue`, { COUPON_ID: String(couponId), FIRST_USER: String(firstUser), USERS: String(USERS) });
      const issued = (await sql.query(`SELECT count(*)::int AS n, count(DISTINCT user_id)::int AS u FROM coupon_issues WHERE coupon_id = $1`, [couponId])).rows[0];
      const exact = issued.n === TOTAL && issued.u === TOTAL;
      console.log(
        `| ${round} | ${Math.round(bare.rps)}, ${bare.p99.toFixed(1)} ms | ${Math.round(run.rps)}, ${run.p50.toFixed(1)} ms, ${run.p99.toFixed(1)} ms ` +
          `| ${(run.rps / bare.rps).toFixed(2)} | ${run.statuses} | ${issued.n} rows, ${issued.u} users${exact ? '' : ' — NOT EXACT'} |`,
      );
    }
  } finally {
    await sql.end();
    await service.stop();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
