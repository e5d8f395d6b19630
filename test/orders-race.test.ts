import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderExpirySweeper } from '../src/modules/orders/index.js';
import { openDatabase, type Database } from '../src/platform/db/db.js';
import { createServerDatabase, type ServerDatabase } from './helpers/databases.js';
import { http, startInstance, type Instance } from './helpers/instances.js';
import { parallel, tally } from './helpers/parallel.js';
import { createProduct, NO_VIOLATIONS, ShopSql } from './helpers/shop.js';

const TOKEN = 'orders-race-admin-token';

// Two real server processes on one PostgreSQL database take truly parallel orders and payments;
// the invariants are then checked in the data.
describe('orders and payments across two instances', () => {
  let server: ServerDatabase;
  let instances: Instance[] = [];
  let db: ShopSql;
  const at = (i: number) => instances[i % instances.length]!.baseUrl;

  beforeAll(async () => {
    server = await createServerDatabase();
    instances = await Promise.all([1, 2].map(() => startInstance({ DATABASE_URL: server.url, ADMIN_TOKEN: TOKEN, SEED_DEMO: 'false', DB_POOL_SIZE: '30' })));
    db = new ShopSql(server.url);
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await db?.end();
    await server?.drop();
  });

  it('300 buyers for 50 units: exactly 50 PAID, stock 0, the rest 409 OUT_OF_STOCK, money conserved', async () => {
    const buyers = await db.users(300, 100_000);
    const product = await createProduct(at(0), TOKEN, { price: 7_000, stock: 50 });
    const before = await db.value('SELECT sum(balance) AS v FROM users');
    const answers = await parallel(300, 300, (i) =>
      http(at(i), 'POST', '/api/v1/orders', { userId: buyers[i], products: [{ productId: product.id, quantity: 1 }] }),
    );
    expect(tally(answers)).toEqual({ '201': 50, '409 OUT_OF_STOCK': 250 });
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.details.productId === product.id)).toBe(true);
    expect(await db.value('SELECT stock AS v FROM products WHERE id = $1', [product.id])).toBe(0);
    expect(await db.value(`SELECT count(*) AS v FROM orders WHERE status = 'PAID'`)).toBe(50);
    expect(await db.value('SELECT sum(balance) AS v FROM users')).toBe(before - 50 * 10_000);
    expect(await db.value(`SELECT sum(payment_amount) AS v FROM orders WHERE status = 'PAID'`)).toBe(50 * 10_000);
    expect(await db.invariantViolations()).toEqual(NO_VIOLATIONS);
  });

  it('an order waits for a product row another transaction holds, then decides on what it committed', async () => {
    const [userId] = await db.users(1, 100_000);
    const product = await createProduct(at(0), TOKEN, { price: 1_000, stock: 1 });
    const other = await db.pool.connect();
    try {
      await other.query('BEGIN');
      // An operator's restock-in-reverse, with its movement, not yet committed.
      await other.query('UPDATE products SET stock = 0 WHERE id = $1', [product.id]);
      await other.query(`INSERT INTO stock_movements (product_id, kind, delta) VALUES ($1, 'ADMIN_DELTA', -1)`, [product.id]);
      const answer = http(at(0), 'POST', '/api/v1/orders', { userId, products: [{ productId: product.id, quantity: 1 }] });
      // The order reaches the database and waits on the row lock.
      for (let i = 0; i < 100 && (await db.value(`SELECT count(*) AS v FROM pg_stat_activity WHERE wait_event_type = 'Lock'`)) === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await other.query('COMMIT');
      const a = await answer;
      expect(a.status).toBe(409);
      expect(a.body).toMatchObject({ code: 'OUT_OF_STOCK', details: { productId: product.id, requested: 1, available: 0 } });
    } finally {
      other.release();
    }
    expect(await db.value('SELECT stock AS v FROM products WHERE id = $1', [product.id])).toBe(0);
  });

  it('10 simultaneous orders on a balance that covers 2: exactly 2 PAID, 8 answered 402 and left PAYMENT_FAILED', async () => {
    const [userId] = await db.users(1, 2 * 13_000);
    const product = await createProduct(at(1), TOKEN, { price: 10_000, stock: 100 });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => http(at(i), 'POST', '/api/v1/orders', { userId, products: [{ productId: product.id, quantity: 1 }] })),
    );
    expect(tally(answers)).toEqual({ '201': 2, '402 INSUFFICIENT_BALANCE': 8 });
    expect(await db.value('SELECT balance AS v FROM users WHERE id = $1', [userId])).toBe(0);
    expect(await db.value(`SELECT count(*) AS v FROM orders WHERE user_id = $1 AND status = 'PAYMENT_FAILED'`, [userId])).toBe(8);
    expect(await db.value('SELECT stock AS v FROM products WHERE id = $1', [product.id])).toBe(90);
    expect(await db.invariantViolations()).toEqual(NO_VIOLATIONS);
  });

  it('one coupon, 10 simultaneous orders of its holder: used by exactly one order, the rest 409 COUPON_NOT_USABLE', async () => {
    const [userId] = await db.users(1, 1_000_000);
    const coupon = await http(at(0), 'POST', '/api/v1/admin/coupons', {
      name: 'Once', code: `ONCE${Date.now().toString(36)}`, discountType: 'FIXED', discountValue: 2_000, totalQuantity: 10,
      issueStartAt: new Date(Date.now() - 60_000).toISOString(), issueEndAt: new Date(Date.now() + 3_600_000).toISOString(), validityDays: 1,
    }, { authorization: `Bearer ${TOKEN}` });
    expect((await http(at(1), 'POST', '/api/v1/coupons/issue', { couponId: coupon.body.id, userId })).status).toBe(201);
    const products = await Promise.all(Array.from({ length: 10 }, () => createProduct(at(0), TOKEN, { price: 10_000, stock: 5 })));
    const answers = await Promise.all(
      products.map((p, i) => http(at(i), 'POST', '/api/v1/orders', { userId, products: [{ productId: p.id, quantity: 1 }], couponId: coupon.body.id })),
    );
    expect(tally(answers)).toEqual({ '201': 1, '409 COUPON_NOT_USABLE': 9 });
    expect(answers.find((a) => a.status === 201)!.body.discountAmount).toBe(2_000);
    expect(await db.value('SELECT count(*) AS v FROM orders WHERE coupon_id = $1', [coupon.body.id])).toBe(1);
    expect(await db.value('SELECT sum(stock) AS v FROM products WHERE id = ANY($1)', [products.map((p) => p.id)])).toBe(49);
    expect(await db.invariantViolations()).toEqual(NO_VIOLATIONS);
  });

  it('orders naming the same products in opposite orders never deadlock (rows locked in id order)', async () => {
    const buyers = await db.users(60, 1_000_000);
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => createProduct(at(0), TOKEN, { price: 1_000, stock: 1_000 })));
    const lines = [
      [a!, b!, c!],
      [c!, b!, a!],
      [b!, c!, a!],
    ];
    const answers = await parallel(60, 60, (i) =>
      http(at(i), 'POST', '/api/v1/orders', { userId: buyers[i], products: lines[i % 3]!.map((p) => ({ productId: p.id, quantity: 1 })) }),
    );
    expect(tally(answers)).toEqual({ '201': 60 });
    expect(await db.value('SELECT sum(stock) AS v FROM products WHERE id = ANY($1)', [[a!.id, b!.id, c!.id]])).toBe(3 * 1_000 - 3 * 60);
    expect(await db.invariantViolations()).toEqual(NO_VIOLATIONS);
  });

  it('20 concurrent payments of one order take the money once, and all answer 200 PAID', async () => {
    const [userId] = await db.users(1, 5_000);
    const product = await createProduct(at(0), TOKEN, { price: 20_000, stock: 10 });
    const placed = await http(at(0), 'POST', '/api/v1/orders', { userId, products: [{ productId: product.id, quantity: 2 }] });
    expect(placed.status).toBe(402);
    const orderId = placed.body.details.orderId;
    await http(at(1), 'PUT', `/api/v1/users/${userId}/balance`, { amount: 50_000 });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => http(at(i), 'POST', '/api/v1/payments', { orderId })));
    expect(answers.map((a) => `${a.status} ${a.body.status}`)).toEqual(Array(20).fill('200 PAID'));
    expect(await db.value('SELECT balance AS v FROM users WHERE id = $1', [userId])).toBe(55_000 - 40_000);
    expect(await db.value(`SELECT count(*) AS v FROM balance_history WHERE order_id = $1`, [orderId])).toBe(1);
    expect(await db.value(`SELECT count(*) AS v FROM outbox WHERE aggregate_id = $1`, [orderId])).toBe(1);
    expect(await db.invariantViolations()).toEqual(NO_VIOLATIONS);
  });

  it('payments racing the expiry sweepers: each order ends PAID or CANCELLED, never both, never half', async () => {
    const users = await db.users(40, 0);
    const product = await createProduct(at(0), TOKEN, { price: 1_000, stock: 1_000 });
    const orderIds: number[] = [];
    for (const [i, userId] of users.entries()) {
      const r = await http(at(i), 'POST', '/api/v1/orders', { userId, products: [{ productId: product.id, quantity: 3 }] });
      expect(r.status).toBe(402);
      orderIds.push(r.body.details.orderId);
      await http(at(i), 'PUT', `/api/v1/users/${userId}/balance`, { amount: 10_000 });
    }
    // Every hold ends in 0..400 ms, while payments and three sweepers (two of them outside the apps) run.
    await db.pool.query(`UPDATE orders SET hold_until = now() + (random() * interval '400 milliseconds') WHERE id = ANY($1)`, [orderIds]);
    const sweeperDbs: Database[] = await Promise.all([1, 2].map(() => openDatabase({ url: server.url, poolSize: 2 })));
    const deadline = Date.now() + 1_500;
    const sweeping = sweeperDbs.map(async (d) => {
      const s = new OrderExpirySweeper(d.db, 1_000);
      while (Date.now() < deadline) await s.sweep();
    });
    const answers = await parallel(orderIds.length, 40, async (i) => {
      await new Promise((r) => setTimeout(r, Math.random() * 400));
      return http(at(i), 'POST', '/api/v1/payments', { orderId: orderIds[i] });
    });
    await Promise.all(sweeping);
    await Promise.all(sweeperDbs.map((d) => d.close()));
    const outcome = tally(answers);
    for (const key of Object.keys(outcome)) expect(['200 undefined', '409 ORDER_NOT_PAYABLE']).toContain(key);

    const final = await db.rows<{ id: string; status: string }>(`SELECT id, status FROM orders WHERE id = ANY($1)`, [orderIds]);
    answers.forEach((a, i) => {
      const row = final.find((r) => Number(r.id) === orderIds[i])!;
      // A 200 means PAID; a 409 means it was (or was about to be) cancelled and nothing was taken.
      expect(row.status).toBe(a.status === 200 ? 'PAID' : row.status === 'CANCELLED' ? 'CANCELLED' : 'PAYMENT_FAILED');
      if (a.status === 409) expect(row.status).not.toBe('PAID');
    });
    const last = await openDatabase({ url: server.url, poolSize: 1 });
    await new OrderExpirySweeper(last.db, 1_000).sweep();
    await last.close();
    const paid = await db.value(`SELECT count(*) AS v FROM orders WHERE id = ANY($1) AND status = 'PAID'`, [orderIds]);
    const cancelled = await db.value(`SELECT count(*) AS v FROM orders WHERE id = ANY($1) AND status = 'CANCELLED'`, [orderIds]);
    expect(paid + cancelled).toBe(orderIds.length);
    // Holds and payments both spread over 400 ms: both outcomes happen, or the race was not run.
    expect(paid).toBeGreaterThan(0);
    expect(cancelled).toBeGreaterThan(0);
    expect(await db.value(`SELECT sum(10000 - balance) AS v FROM users WHERE id = ANY($1)`, [users])).toBe(paid * 6_000);
    expect(await db.value('SELECT stock AS v FROM products WHERE id = $1', [product.id])).toBe(1_000 - paid * 3);
    expect(await db.invariantViolations()).toEqual(NO_VIOLATIONS);
  });
});
