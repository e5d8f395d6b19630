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
         WHERE u.balance <> (SELECT coalesce(sum(amount), 0) FROM balance_history h WHERE h.user_id = u.id)`,
      ),
    ).toBe(0);
    const issued = await call(t.app, 'POST', api('/coupons/issue'), { couponId: 1, userId: 1 });
    expect(issued.status).toBe(201);
  });
});
