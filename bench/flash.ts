/**
 * `npm run bench:flash`: the two order scenarios alone, each next to its yardstick measured right
 * before it, on the PostgreSQL server: order+pay over 1,000 products after the bare Fastify route
 * (its own process), and the hot-product flash sale after pgbench on one hot row with as many
 * clients. Repeats BENCH_ROUNDS times (default 2) and prints each pair.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:flash
 */
import { execSync } from 'node:child_process';
import pg from 'pg';
import { runScenario, serviceArgs, startBareServer, startProcess } from './lib.js';
import { pgbenchHotRow } from './orders.js';
import { createServerDb } from './server-db.js';

const ADMIN = { authorization: 'Bearer bench-admin-token-0123456789' };
const duration = Number(process.env['BENCH_DURATION'] ?? 10);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 2);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 50);

async function post(baseUrl: string, p: string, body: unknown, headers: Record<string, string> = {}, method = 'POST') {
  const res = await fetch(baseUrl + p, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, number>>;
}

/** CPU seconds used so far by each command name (postgres backends summed). */
function cpuByCommand(): Map<string, number> {
  const out = execSync('ps -eo comm,times --no-headers', { encoding: 'utf8' });
  const m = new Map<string, number>();
  for (const line of out.trim().split('\n')) {
    const [comm, t] = line.trim().split(/\s+/);
    m.set(comm!, (m.get(comm!) ?? 0) + Number(t));
  }
  return m;
}

async function main(): Promise<void> {
  execSync('npm run build --silent', { stdio: 'inherit' });
  const db = await createServerDb(process.env['DATABASE_URL']!, 'flash');
  const env: Record<string, string> = { ADMIN_TOKEN: ADMIN.authorization.slice(7), SEED_DEMO: 'false', DATABASE_URL: db.url, REDIS_URL: '', NATS_URL: '' };
  const app = await startProcess(serviceArgs(), env, { readyPath: '/ready', inheritEnv: true, timeoutMs: 90_000 });
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  try {
    const users: number[] = [];
    for (let i = 0; i < 3_000; i += 50) {
      users.push(...(await Promise.all(Array.from({ length: 50 }, (_, k) => post(app.baseUrl, '/api/v1/users', { name: `u${i + k}` })))).map((u) => u['userId']!));
    }
    await pool.query('UPDATE users SET balance = 1000000000');
    const spread: number[] = [];
    for (let i = 0; i < 1_000; i += 50) {
      spread.push(
        ...(await Promise.all(Array.from({ length: 50 }, (_, k) => post(app.baseUrl, '/api/v1/admin/products', { name: `p${i + k}`, price: 100, stock: 1_000_000 }, ADMIN)))).map(
          (p) => p['id']!,
        ),
      );
    }
    for (let r = 1; r <= rounds; r++) {
      const bareProc = await startBareServer();
      const bare = await runScenario(bareProc.baseUrl, { name: 'bare', path: () => '/hello', connections, duration }).finally(() => bareProc.stop());
      const op = await runScenario(app.baseUrl, {
        name: 'order+pay',
        method: 'POST',
        path: () => '/api/v1/orders',
        body: (i) => ({ userId: users[i % users.length], products: [{ productId: spread[(i * 7) % spread.length], quantity: 1 }] }),
        connections,
        duration,
      });
      console.log(`round ${r}: bare ${Math.round(bare.rps)} req/s | order+pay ${Math.round(op.rps)} req/s = ${(op.rps / bare.rps).toFixed(3)} | p50 ${op.p50} p99 ${op.p99} ms | statuses ${JSON.stringify(Object.fromEntries(op.statuses))}`);
      const hot = await post(app.baseUrl, '/api/v1/admin/products', { name: `hot ${r}`, price: 100, stock: 5_000_000 }, ADMIN);
      const tps = await pgbenchHotRow(db.url, connections, duration);
      const before = cpuByCommand();
      const res = await runScenario(app.baseUrl, {
        name: 'flash',
        method: 'POST',
        path: () => '/api/v1/orders',
        body: (i) => ({ userId: users[i % users.length], products: [{ productId: hot['id'], quantity: 1 }] }),
        connections,
        duration,
      });
      const after = cpuByCommand();
      const cpu = [...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0.2).sort((a, b) => b[1] - a[1]);
      const sold = Number((await pool.query('SELECT 5000000 - stock AS v FROM products WHERE id = $1', [hot['id']])).rows[0].v);
      console.log(
        `round ${r}: pgbench ${Math.round(tps)} tps | flash ${Math.round(res.rps)} req/s = ${(res.rps / tps).toFixed(2)} | p50 ${res.p50} p99 ${res.p99} ms | ` +
          `statuses ${JSON.stringify(Object.fromEntries(res.statuses))} | sold ${sold} | cpu s: ${cpu.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`,
      );
    }
  } finally {
    await pool.end();
    if (process.env['DEBUG_BATCH']) console.log(app.output().split('\n').filter((l) => l.startsWith('batches')).join('\n'));
    await app.stop();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
