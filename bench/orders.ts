import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { BenchScenario } from './scenarios.js';

const BALANCE = 1_000_000;

/** Gives every fixture user a balance (in parallel batches) so that orders are paid. */
async function fundUsers(baseUrl: string, userIds: number[]): Promise<void> {
  for (let i = 0; i < userIds.length; i += 50) {
    await Promise.all(
      userIds.slice(i, i + 50).map((id) =>
        fetch(`${baseUrl}/api/v1/users/${id}/balance`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ amount: BALANCE }),
        }).then((r) => r.arrayBuffer()),
      ),
    );
  }
}

/** Order and pay, one line, many users over 1,000 products with ample stock. */
export const orderAndPay: BenchScenario = {
  prepare: async (f) => {
    await fundUsers(f.baseUrl, f.userIds);
    // Orders placed before this scenario (other scenarios' fixtures) are left out of its check.
    const before = f.count ? await f.count('SELECT coalesce(max(id), 0) AS v FROM orders') : 0;
    return {
      scenario: {
        name: 'POST /orders (order+pay, 3,000 users, 1,000 products)',
        method: 'POST',
        path: () => '/api/v1/orders',
        body: (i) => ({ userId: f.userIds[i % f.userIds.length], products: [{ productId: f.productIds[(i * 7) % f.productIds.length], quantity: 1 }] }),
        connections: 50,
      },
      verify: async (statuses) => {
        const created = statuses.get(201) ?? 0;
        if (!f.count) return `${created} answered 201`;
        // Requests still in flight when the run ends are paid but not counted by autocannon; both
        // figures come from one snapshot.
        await new Promise((r) => setTimeout(r, 1_000));
        const paid = await f.count(`SELECT count(*) AS v FROM orders WHERE status = 'PAID' AND id > $1`, [before]);
        const gap = await f.count(
          `SELECT (SELECT count(*) FROM orders WHERE status = 'PAID' AND id > $1)
                + (SELECT coalesce(sum(delta), 0) FROM stock_movements WHERE kind = 'RESERVE' AND order_id > $1) AS v`,
          [before],
        );
        return `${created} answered 201; ${paid} PAID orders, each took its one unit ${gap === 0 && paid >= created ? '(exact)' : '(WRONG)'}`;
      },
    };
  },
};

/** A flash sale: every request orders the same product (stock large enough to last the run). */
export const flashSale: BenchScenario = {
  prepare: async (f) => {
    const hot = await f.post(f.baseUrl, '/api/v1/admin/products', { name: 'Flash sale', price: 10_000, stock: 2_000_000 }, f.admin);
    const hotId = hot['id']!;
    return {
      scenario: {
        name: 'POST /orders flash sale (one hot product)',
        method: 'POST',
        path: () => '/api/v1/orders',
        body: (i) => ({ userId: f.userIds[i % f.userIds.length], products: [{ productId: hotId, quantity: 1 }] }),
        connections: 50,
      },
      verify: async (statuses) => {
        const created = statuses.get(201) ?? 0;
        if (!f.count) return `${created} answered 201`;
        await new Promise((r) => setTimeout(r, 1_000));
        const sold = await f.count(
          `SELECT coalesce(sum(i.quantity), 0) AS v FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.product_id = $1 AND o.status = 'PAID'`,
          [hotId],
        );
        const gap = await f.count(
          `SELECT (SELECT 2000000 - stock FROM products WHERE id = $1)
                - (SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.product_id = $1 AND o.status = 'PAID') AS v`,
          [hotId],
        );
        return `${created} answered 201; ${sold} sold, stock down by as many ${gap === 0 && sold >= created ? '(exact)' : '(WRONG)'}`;
      },
    };
  },
};

/**
 * The database's own ceiling for the flash sale: pgbench decrementing one hot row with `clients`
 * connections, each statement its own transaction. Returns transactions per second.
 */
export async function pgbenchHotRow(url: string, clients: number, seconds: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  await pool.query('CREATE TABLE IF NOT EXISTS bench_hot_row (id int PRIMARY KEY, stock bigint NOT NULL CHECK (stock >= 0))');
  await pool.query('INSERT INTO bench_hot_row VALUES (1, 1000000000) ON CONFLICT (id) DO UPDATE SET stock = 1000000000');
  await pool.end();
  const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pgbench-')), 'hot.sql');
  fs.writeFileSync(script, 'UPDATE bench_hot_row SET stock = stock - 1 WHERE id = 1 AND stock >= 1;\n');
  const out = execFileSync('pgbench', ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(seconds), '-f', script, url], {
    encoding: 'utf8',
  });
  fs.rmSync(path.dirname(script), { recursive: true, force: true });
  const m = /tps = ([\d.]+)/.exec(out);
  if (!m) throw new Error(`pgbench printed no tps:\n${out}`);
  return Number(m[1]);
}
