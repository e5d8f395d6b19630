import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, call, createTestApp, type TestApp } from '../test/helpers/app.js';
import { scalar } from '../test/helpers/sql.js';
import { seedDemo } from './seed.js';

describe('demo seed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('fills an empty database once, with balances that match their ledger', async () => {
    expect(await seedDemo(t.database.db)).toBe(true);
    expect(await seedDemo(t.database.db)).toBe(false);
    expect(await scalar(t.database.db, 'SELECT count(*) AS v FROM products')).toBeGreaterThan(5);
    expect(await scalar(t.database.db, 'SELECT count(*) AS v FROM coupons')).toBeGreaterThan(2);
    expect(
      await scalar(
        t.database.db,
        `SELECT count(*) AS v FROM users u
         WHERE u.balance <> (SELECT coalesce(sum(CASE type WHEN 'PAYMENT' THEN -amount ELSE amount END), 0) FROM balance_history h WHERE h.user_id = u.id)`,
      ),
    ).toBe(0);
    // A few days of paid orders, each with its payment, stock movements and event, as a real payment writes them.
    expect(await scalar(t.database.db, `SELECT count(DISTINCT paid_at::date) AS v FROM orders WHERE status = 'PAID'`)).toBeGreaterThanOrEqual(4);
    expect(
      await scalar(
        t.database.db,
        `SELECT count(*) AS v FROM orders o WHERE NOT EXISTS (SELECT 1 FROM outbox e WHERE e.aggregate_id = o.id)
           OR NOT EXISTS (SELECT 1 FROM balance_history h WHERE h.order_id = o.id AND h.amount = o.payment_amount)`,
      ),
    ).toBe(0);
    expect(
      await scalar(t.database.db, `SELECT count(*) AS v FROM products p WHERE p.stock <> (SELECT sum(delta) FROM stock_movements m WHERE m.product_id = p.id)`),
    ).toBe(0);
    const history = await call(t.app, 'GET', api('/users/1/orders'));
    expect(history.body.items.length).toBeGreaterThan(0);
    const issued = await call(t.app, 'POST', api('/coupons/issue'), { couponId: 1, userId: 1 });
    expect(issued.status).toBe(201);
  });
});
