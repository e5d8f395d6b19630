import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import nodeHttp from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_FLAGS } from '../src/node-flags.js';
import { createServerDatabase, REDIS_URL } from './helpers/databases.js';
import { http, startProcess, type Instance } from './helpers/instances.js';
import { until } from './helpers/until.js';

/** Workers start (and the outbox drains) on a loaded machine too: up to two minutes. */
const SLOW = { timeoutMs: 120_000 };

const TOKEN = 'cluster-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

/** The JSON log lines a process printed, parsed. */
function lines(instance: Instance): Array<Record<string, any>> {
  return instance
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);
}

/**
 * One request on a connection of its own (closed after it), so that the cluster hands each to a
 * worker afresh; kept-alive connections would stay with the workers that accepted them.
 */
function fresh(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = nodeHttp.request(`${baseUrl}${path}`, {
      method,
      agent: false,
      headers: { connection: 'close', ...(data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.end(data);
  });
}

/** The service's V8 flags among a process's command-line arguments (Linux: /proc/<pid>/cmdline). */
const nodeFlagsOf = (pid: number) =>
  fs
    .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .filter((arg) => SERVICE_NODE_FLAGS.includes(arg));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('WORKERS=2: one port, two worker processes (race: PostgreSQL server)', () => {
  it('serves from both workers, replaces a worker killed with SIGKILL, keeps once-only jobs once, and stops every worker with exit 0 on SIGTERM', { timeout: 300_000 }, async () => {
    const db = await createServerDatabase();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-'));
    let primary: Instance | undefined;
    try {
      primary = await startProcess(
        ['--import', 'tsx', 'src/server.ts'],
        {
          DATABASE_URL: db.url,
          REDIS_URL,
          REDIS_PREFIX: `cluster-${randomBytes(4).toString('hex')}:`,
          WORKERS: '2',
          ADMIN_TOKEN: TOKEN,
          DATA_DIR: dataDir,
          SEED_DEMO: 'false',
          // info: the primary's lifecycle lines, and each request's line names the worker's pid.
          LOG_LEVEL: 'info',
        },
        { readyPath: '/ready', timeoutMs: 180_000 },
      );
      const p = primary;
      const listening = () => lines(p).filter((l) => l.msg === 'worker listening');
      await until('two workers listening', () => listening().length === 2, undefined, SLOW);
      const first = listening().map((l) => l['workerPid'] as number);
      expect(new Set(first).size).toBe(2);
      expect(first.every(alive)).toBe(true);
      // The primary was started without the service's V8 flags; its workers run with them all the same.
      expect(first.map(nodeFlagsOf)).toEqual([[...SERVICE_NODE_FLAGS], [...SERVICE_NODE_FLAGS]]);
      expect(p.output()).not.toContain('started without');

      const product = await http(p.baseUrl, 'POST', '/api/v1/admin/products', { name: 'lamp', price: 1_000, stock: 1_000 }, auth);
      const user = await http(p.baseUrl, 'POST', '/api/v1/users', { name: 'buyer' });
      expect([product.status, user.status]).toEqual([201, 201]);
      const userId = user.body.userId as number;
      const wave = () =>
        Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            i % 2 === 0
              ? fresh(p.baseUrl, 'PUT', `/api/v1/users/${userId}/balance`, { amount: 1_000 })
              : fresh(p.baseUrl, 'POST', '/api/v1/orders', { userId, products: [{ productId: product.body.id, quantity: 1 }] }),
          ),
        );
      // Charges first, so that every order of the waves can be paid.
      expect(new Set((await Promise.all(Array.from({ length: 10 }, () => http(p.baseUrl, 'PUT', `/api/v1/users/${userId}/balance`, { amount: 100_000 })))).map((a) => a.status))).toEqual(new Set([200]));
      const before = await wave();
      expect(before.map((a) => a.status).filter((s) => s !== 200 && s !== 201)).toEqual([]);
      const servedBy = () => new Set(lines(p).filter((l) => l.msg === 'incoming request').map((l) => l['pid'] as number));
      expect([...servedBy()].sort()).toEqual([...first].sort());

      // A worker killed outright is replaced; the other keeps serving meanwhile.
      const victim = first[0]!;
      process.kill(victim, 'SIGKILL');
      await until('the primary to notice', () => lines(p).some((l) => l.msg?.startsWith('worker died') && l['workerPid'] === victim), undefined, SLOW);
      const during = await wave();
      expect(during.map((a) => a.status).filter((s) => s !== 200 && s !== 201)).toEqual([]);
      await until('a third worker listening', () => listening().length === 3, undefined, SLOW);
      const replacement = listening()[2]!['workerPid'] as number;
      expect(nodeFlagsOf(replacement)).toEqual([...SERVICE_NODE_FLAGS]);
      expect(first).not.toContain(replacement);
      const after = await wave();
      expect(after.map((a) => a.status).filter((s) => s !== 200 && s !== 201)).toEqual([]);
      expect(servedBy().has(replacement)).toBe(true);
      expect(p.process.exitCode).toBeNull();

      // The data: every answered charge and order happened once; once-only jobs ran once.
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        const all = [...before, ...during, ...after];
        const orders = all.filter((a) => a.status === 201).length;
        const charges = all.length - orders;
        const { rows } = await c.query(
          `SELECT (SELECT balance FROM users WHERE id = $1)::int AS balance, (SELECT count(*) FROM orders WHERE status = 'PAID')::int AS paid,
                  (SELECT stock FROM products WHERE id = $2)::int AS stock, (SELECT count(*) FROM popular_runs)::int AS runs`,
          [userId, product.body.id],
        );
        expect(rows[0]).toEqual({ balance: 1_000_000 + charges * 1_000 - orders * 4_000, paid: orders, stock: 1_000 - orders, runs: 1 });
        // The relays of all workers together deliver each paid order's event; none for another order.
        await until('the outbox to drain', async () => (await c.query(`SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL`)).rows[0].n === 0, undefined, SLOW);
        const file = path.join(dataDir, 'data-platform', 'orders.paid.jsonl');
        const events = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { eventId: string; orderId: number });
        const paidIds = (await c.query(`SELECT id FROM orders WHERE status = 'PAID' ORDER BY id`)).rows.map((r) => Number(r.id));
        expect([...new Set(events.map((e) => e.orderId))].sort((a, b) => a - b)).toEqual(paidIds);
        expect(new Set(events.map((e) => e.eventId)).size).toBe(paidIds.length);
      } finally {
        await c.end();
      }

      const exited = new Promise<number | null>((resolve) => p.process.once('exit', (code) => resolve(code)));
      p.process.kill('SIGTERM');
      expect(await exited).toBe(0);
      const stopped = lines(p).filter((l) => l.msg === 'worker stopped');
      expect(stopped.map((l) => [l['workerPid'], l['code']]).sort()).toEqual([[first[1], 0], [replacement, 0]].sort());
      expect(lines(p).some((l) => l.msg === 'all workers stopped')).toBe(true);
      expect([first[1]!, replacement].some(alive)).toBe(false);
    } finally {
      if (primary?.process.exitCode === null) primary.process.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
      await db.drop();
    }
  });
});
