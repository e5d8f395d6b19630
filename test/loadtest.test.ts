import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersAudit, dataPlatformAudit } from '../bench/loadtest-audit.js';
import { createServerDatabase, type ServerDatabase } from './helpers/databases.js';
import { http, runToExit, startInstance, type Instance } from './helpers/instances.js';
import { createProduct, ShopSql, type AuditLine } from './helpers/shop.js';

const TOKEN = 'loadtest-audit-admin-token';

// The short version of `npm run loadtest`: real traffic over two instances, then the audit.
describe('the load harness (npm run loadtest)', () => {
  it('runs 15 s of mixed traffic over two instances and its audit of SPEC section 4 passes', { timeout: 600_000 }, async () => {
    const passOn = Object.fromEntries(
      ['TEST_DATABASE_URL', 'TEST_REDIS_URL', 'NATS_SERVER_BIN', 'HOME'].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])),
    );
    const { code, output } = await runToExit('bench/loadtest.ts', ['--seconds=15', '--instances=2', '--clients=12'], passOn);
    expect(output).toContain('audit passed');
    for (const invariant of ['stock', 'balance', 'coupons', 'outbox', 'data platform', 'charges (Idempotency-Key)', 'orders (Idempotency-Key)', 'payments', 'coupon stampede', 'flash sale']) {
      expect(output).toContain(`ok   ${invariant}: `);
    }
    // The audit looked at real traffic: paid orders reached the data platform, the stampede and flash sale ran out.
    expect(output).toMatch(/data platform: [1-9][\d,]* PAID orders/);
    expect(output).toContain('1000 users for 100: 100 issued');
    expect(output).toMatch(/300 buyers for 30 units: .*30 sold or held, 0 left/);
    expect(code).toBe(0);
  });

  it('rejects an unknown fault with a usage line and exit code 2', async () => {
    const { code, output } = await runToExit('bench/loadtest.ts', ['--fault=meteor'], {});
    expect(code).toBe(2);
    expect(output).toContain('usage: npm run loadtest');
  });
});

// The audit cannot pass vacuously: each hand-corrupted row fails exactly its own invariant.
describe('the invariant audit catches a corrupted database', () => {
  let server: ServerDatabase;
  let instance: Instance;
  let db: ShopSql;
  let productId: number;
  let userId: number | undefined;
  let paidOrderId: number;

  beforeAll(async () => {
    server = await createServerDatabase();
    instance = await startInstance({ DATABASE_URL: server.url, ADMIN_TOKEN: TOKEN, SEED_DEMO: 'false' });
    db = new ShopSql(server.url);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const product = await createProduct(instance.baseUrl, TOKEN, { price: 10_000, stock: 10 });
    productId = product.id;
    [userId] = await db.users(1, 100_000);
    expect(userId).toBeDefined();
    const coupon = await http(instance.baseUrl, 'POST', '/api/v1/admin/coupons', {
      name: 'Audit', code: `AUDIT${Date.now().toString(36)}`, discountType: 'FIXED', discountValue: 1_000, totalQuantity: 2,
      issueStartAt: new Date(Date.now() - 60_000).toISOString(), issueEndAt: new Date(Date.now() + 3_600_000).toISOString(), validityDays: 1,
    }, auth);
    expect((await http(instance.baseUrl, 'POST', '/api/v1/coupons/issue', { couponId: coupon.body.id, userId })).status).toBe(201);
    const order = await http(instance.baseUrl, 'POST', '/api/v1/orders', { userId, products: [{ productId, quantity: 2 }], couponId: coupon.body.id });
    expect(order.status).toBe(201);
    paidOrderId = order.body.orderId;
  });
  afterAll(async () => {
    await instance?.stop();
    await db?.end();
    await server?.drop();
  });

  const failing = async () => (await db.audit()).filter((l) => !l.ok).map((l) => l.invariant);
  async function corrupted(break_: string, restore: string): Promise<string[]> {
    await db.pool.query(break_);
    try {
      return await failing();
    } finally {
      await db.pool.query(restore);
    }
  }

  it('passes on the clean data, with its figures', async () => {
    const lines: AuditLine[] = await db.audit();
    expect(lines.filter((l) => !l.ok)).toEqual([]);
    expect(lines.find((l) => l.invariant === 'stock')!.text).toContain('sold 2 + held 0 + left 8 = supplied 10');
    expect(lines.find((l) => l.invariant === 'coupons')!.text).toContain('issued 1 <= total 2 for 1 coupons');
  });

  it('flags stock that moved without a movement', async () => {
    expect(await corrupted(`UPDATE products SET stock = stock + 1 WHERE id = ${productId}`, `UPDATE products SET stock = stock - 1 WHERE id = ${productId}`)).toEqual(['stock']);
  });

  it('flags a balance that is not its ledger', async () => {
    expect(await corrupted(`UPDATE users SET balance = balance + 5 WHERE id = ${userId}`, `UPDATE users SET balance = balance - 5 WHERE id = ${userId}`)).toEqual(['balance']);
  });

  it('flags a coupon issued past its total (its CHECK dropped for the purpose)', async () => {
    await db.pool.query('ALTER TABLE coupons DROP CONSTRAINT coupons_quantity_valid');
    expect(await corrupted('UPDATE coupons SET issued_quantity = total_quantity + 1', 'UPDATE coupons SET issued_quantity = 1')).toEqual(['coupons']);
  });

  it('flags a PAID order without its event, and an event of an order that is not PAID', async () => {
    const [event] = await db.rows(`SELECT * FROM outbox WHERE aggregate_id = $1`, [paidOrderId]);
    expect(event).toBeDefined();
    await db.pool.query(`DELETE FROM outbox WHERE aggregate_id = $1`, [paidOrderId]);
    try {
      expect(await failing()).toEqual(['outbox']);
    } finally {
      await db.pool.query(`INSERT INTO outbox (event_id, topic, aggregate_id, payload) VALUES ($1, $2, $3, $4)`, [event!.event_id, event!.topic, event!.aggregate_id, event!.payload]);
    }
    expect(await failing()).toEqual([]);
  });

  it('flags an order missing at the data platform, one delivered twice, and one that is not PAID', () => {
    expect(dataPlatformAudit([1, 2, 3], [{ orderId: 1 }, { orderId: 2 }, { orderId: 3 }])).toMatchObject({ ok: true });
    expect(dataPlatformAudit([1, 2, 3], [{ orderId: 1 }, { orderId: 2 }])).toMatchObject({ ok: false, missing: 1 });
    expect(dataPlatformAudit([1, 2], [{ orderId: 1 }, { orderId: 2 }, { orderId: 2 }])).toMatchObject({ ok: false, doubled: 1 });
    expect(dataPlatformAudit([1], [{ orderId: 1 }, { orderId: 9 }])).toMatchObject({ ok: false, notPaid: 1 });
  });

  it('flags writes answered but missing, or more in the database than were ever sent', () => {
    expect(answersAudit('charges', 10, 0, 10).ok).toBe(true);
    expect(answersAudit('charges', 10, 2, 11).ok).toBe(true);
    expect(answersAudit('charges', 10, 0, 9).ok).toBe(false);
    expect(answersAudit('charges', 10, 0, 11).ok).toBe(false);
  });
});
