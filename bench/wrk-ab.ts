/**
 * `npx tsx bench/wrk-ab.ts <dir A> <dir B>`: the read routes of two built checkouts under wrk, with
 * the bare route, alternated in short runs (bare, A, B, bare, A, B, …) so that the three see the
 * same machine. Prints req/s and the server's CPU µs per request of each run, then the medians.
 * Needs DATABASE_URL (and REDIS_URL); both services share one fresh database.
 *
 *   BENCH_ROUNDS=5 BENCH_DURATION=3 BENCH_ROUTES=top5 DATABASE_URL=… REDIS_URL=… npx tsx bench/wrk-ab.ts /tmp/base .
 *
 * BENCH_NODE_ARGS adds node options to each service's command line (for example
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`: a CPU profile of each, written when it stops).
 */
import path from 'node:path';
import { Redis } from 'ioredis';
import { deleteKeysUnder } from '../test/helpers/redis-keys.js';
import type { Instance } from '../test/helpers/instances.js';
import { serviceArgs, startBareServer, startProcess } from './lib.js';
import { sellBeforeStart, TOP5_PATH } from './popular.js';
import { createServerDb } from './server-db.js';
import { runWrk, wrkReadRoutes, type WrkResult } from './wrk.js';

const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const duration = Number(process.env['BENCH_DURATION'] ?? 3);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 5);
const routeFilter = process.env['BENCH_ROUTES']?.split(',');
const databaseUrl = process.env['DATABASE_URL'];
const redisUrl = process.env['REDIS_URL'];
const dirs = process.argv.slice(2);
const nodeArgs = process.env['BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
if (!databaseUrl || dirs.length === 0) throw new Error('usage: DATABASE_URL=… npx tsx bench/wrk-ab.ts <dir A> [<dir B> …]');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const db = await createServerDb(databaseUrl, 'bench_ab');
const redisPrefix = `bench-ab:${Date.now()}:`;
const env: Record<string, string> = { ADMIN_TOKEN, SEED_DEMO: 'false', DATABASE_URL: db.url, ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix } : {}) };
const procs: Instance[] = [];
try {
  await sellBeforeStart(env);
  const bare = await startBareServer();
  procs.push(bare);
  const services: Array<{ label: string; app: Instance }> = [];
  for (const dir of dirs) {
    const app = await startProcess(serviceArgs(path.join(dir, 'dist/src/server.js'), nodeArgs), env, { readyPath: '/ready', inheritEnv: true, timeoutMs: 90_000 });
    procs.push(app);
    services.push({ label: `${String.fromCharCode(65 + services.length)} ${dir}`, app });
  }
  const productIds: number[] = [];
  for (let i = 0; i < 1_000; i += 25) {
    const made = await Promise.all(
      Array.from({ length: 25 }, async (_, k) => {
        const res = await fetch(`${services[0]!.app.baseUrl}/api/v1/admin/products`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
          body: JSON.stringify({ name: `ab ${i + k}`, price: 1_000, stock: 1_000_000 }),
        });
        return ((await res.json()) as { id: number }).id;
      }),
    );
    productIds.push(...made);
  }
  const routes = wrkReadRoutes(TOP5_PATH, productIds).filter((r) => !routeFilter || routeFilter.some((f) => r.name.includes(f)));
  for (const s of services) for (const r of routes) await runWrk(s.app.baseUrl, r, 1); // warm-up
  await runWrk(bare.baseUrl, '/hello', 1);
  for (const route of routes) {
    const results = new Map<string, WrkResult[]>([['bare', []], ...services.map((s) => [s.label, []] as [string, WrkResult[]])]);
    for (let round = 1; round <= rounds; round++) {
      results.get('bare')!.push(await runWrk(bare.baseUrl, '/hello', duration, bare.process.pid));
      for (const s of services) results.get(s.label)!.push(await runWrk(s.app.baseUrl, route, duration, s.app.process.pid));
    }
    console.log(`\n${route.name} — wrk ${duration}s × ${rounds} rounds, alternated; req/s (server CPU µs/request)`);
    const bareRps = results.get('bare')!.map((r) => r.rps);
    for (const [label, rs] of results) {
      const ratios = rs.map((r, i) => r.rps / bareRps[i]!);
      console.log(
        `${label.padEnd(24)} ${rs.map((r) => `${Math.round(r.rps)} (${r.cpuUs?.toFixed(0) ?? '?'})`).join('  ')}` +
          `  | median ${Math.round(median(rs.map((r) => r.rps)))} req/s, ${median(rs.map((r) => r.cpuUs ?? NaN)).toFixed(1)} µs, ratio ${median(ratios).toFixed(2)}` +
          ` p50 ${rs.map((r) => r.p50).join('/')} p99 ${rs.map((r) => r.p99).join('/')}`,
      );
    }
  }
} finally {
  for (const p of procs) await p.stop();
  await db.drop();
  if (redisUrl) {
    const redis = new Redis(redisUrl);
    await deleteKeysUnder(redis, redisPrefix);
    redis.disconnect();
  }
}
