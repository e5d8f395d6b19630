/**
 * `npx tsx bench/cpu.ts <dir A> <dir B>`: CPU time the service spends per request on the two hot
 * paths (product read, coupon stampede), for two built checkouts, alternating A and B three times.
 * CPU per request is what a change costs; unlike req/s on a shared 2-core VM it hardly moves with
 * the load of other processes. Needs DATABASE_URL and REDIS_URL; each run gets a fresh database.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { runScenario, serviceArgs, startProcess } from './lib.js';

const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };
const TICK_MS = 10; // USER_HZ = 100 on Linux

function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

async function post(baseUrl: string, p: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(baseUrl + p, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, number>;
}

async function measure(dir: string): Promise<{ read: number; stampede: number }> {
  const root = process.env['DATABASE_URL']!;
  const name = `cpu_${Date.now()}`;
  const admin = new pg.Client({ connectionString: root });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(root);
  u.pathname = `/${name}`;
  const env = { DATABASE_URL: u.toString(), REDIS_URL: process.env['REDIS_URL']!, REDIS_PREFIX: `${name}:`, ADMIN_TOKEN, SEED_DEMO: 'false', LOG_LEVEL: 'warn' };
  const app = await startProcess(serviceArgs(path.join(dir, 'dist/src/server.js')), env, { readyPath: '/ready', inheritEnv: true, timeoutMs: 90_000 });
  try {
    const products: number[] = [];
    for (let i = 0; i < 200; i++) products.push((await post(app.baseUrl, '/api/v1/admin/products', { name: `p${i}`, price: 1_000, stock: 1_000 }, ADMIN))['id']!);
    const users: number[] = [];
    for (let i = 0; i < 1_000; i++) users.push((await post(app.baseUrl, '/api/v1/users', { name: `u${i}` }))['userId']!);
    const pid = app.process.pid!;
    await runScenario(app.baseUrl, { name: 'warm-up', path: (i) => `/api/v1/products/${products[i % products.length]}`, amount: 10_000 });
    let before = cpuMs(pid);
    const reads = 30_000;
    await runScenario(app.baseUrl, { name: 'read', path: (i) => `/api/v1/products/${products[i % products.length]}`, amount: reads });
    const read = ((cpuMs(pid) - before) * 1000) / reads;
    const coupon = await post(
      app.baseUrl,
      '/api/v1/admin/coupons',
      { name: 'S', code: `CPU${Date.now().toString(36)}`, discountType: 'FIXED', discountValue: 1_000, totalQuantity: 100, issueStartAt: new Date(Date.now() - 60_000).toISOString(), issueEndAt: new Date(Date.now() + 3_600_000).toISOString(), validityDays: 7 },
      ADMIN,
    );
    before = cpuMs(pid);
    const issues = 20_000;
    await runScenario(app.baseUrl, { name: 'stampede', method: 'POST', path: () => '/api/v1/coupons/issue', body: (i) => ({ couponId: coupon['id'], userId: users[i % users.length] }), expected: [409], amount: issues });
    const stampede = ((cpuMs(pid) - before) * 1000) / issues;
    return { read, stampede };
  } finally {
    await app.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

const [a, b] = process.argv.slice(2) as [string, string];
for (let round = 1; round <= 3; round++) {
  for (const [label, dir] of [['A', a], ['B', b]] as const) {
    const r = await measure(dir);
    console.log(`round ${round} ${label} ${dir}: product read ${r.read.toFixed(1)} µs CPU/request, stampede ${r.stampede.toFixed(1)} µs CPU/request`);
  }
}
