import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { api, call, createTestApp, newCoupon, newUser, type TestApp } from './helpers/app.js';
import { REDIS_URL } from './helpers/databases.js';

// Faults only a server (several connections) and a real Redis can show.
describe('coupon issuing under faults', () => {
  let t: TestApp;
  let admin: pg.Client;
  beforeAll(async () => {
    t = await createTestApp({ backend: 'postgres', redisUrl: REDIS_URL });
    admin = new pg.Client({ connectionString: t.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await t.close();
  });

  const issue = (couponId: number, userId: number) => call(t.app, 'POST', api('/coupons/issue'), { couponId, userId });

  it('survives a database connection killed in the middle of an issue, and the place comes back', async () => {
    const coupon = await newCoupon(t.app, { totalQuantity: 1 });
    const [victim, next] = [await newUser(t.app), await newUser(t.app)];
    await admin.query('BEGIN');
    await admin.query('SELECT 1 FROM coupons WHERE id = $1 FOR UPDATE', [coupon.id]);
    const blocked = issue(coupon.id, victim);
    // Wait until the request's transaction is waiting on the coupon row, then kill its backend.
    let pid: number | undefined;
    for (let i = 0; i < 100 && !pid; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const { rows } = await admin.query(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
      );
      pid = rows[0]?.pid;
    }
    expect(pid).toBeDefined();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await admin.query('ROLLBACK');
    const answer = await blocked;
    // A lost database connection is the database being away, not a bug: 503, retry later.
    expect(answer).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } });
    // The process is alive, nothing was issued, and the place was given back at once.
    expect((await issue(coupon.id, next)).status).toBe(201);
    const { rows } = await admin.query('SELECT user_id FROM coupon_issues WHERE coupon_id = $1', [coupon.id]);
    expect(rows.map((r) => Number(r.user_id))).toEqual([next]);
  });

  it('tells a holder missing from the Redis set ALREADY_ISSUED, not SOLD_OUT, on a fresh instance', async () => {
    const coupon = await newCoupon(t.app, { totalQuantity: 2 });
    const [a, b, c] = [await newUser(t.app), await newUser(t.app), await newUser(t.app)];
    expect((await issue(coupon.id, a)).status).toBe(201);
    expect((await issue(coupon.id, b)).status).toBe(201);
    expect((await issue(coupon.id, c)).body.code).toBe('COUPON_SOLD_OUT');
    // The gate lost A (e.g. A was issued while Redis was unreachable), but knows the coupon is sold out.
    await t.redis!.client.srem(`coupon:{${coupon.id}}:issued`, String(a));
    // A second instance on the same database and Redis, with nothing in memory.
    const other = await buildApp({ config: t.config, database: t.database, redis: t.redis });
    try {
      const again = await call(other, 'POST', api('/coupons/issue'), { couponId: coupon.id, userId: a });
      expect(again).toMatchObject({ status: 409, body: { code: 'COUPON_ALREADY_ISSUED' } });
      expect((await call(other, 'POST', api('/coupons/issue'), { couponId: coupon.id, userId: c })).body.code).toBe('COUPON_SOLD_OUT');
    } finally {
      await other.close();
    }
  });

  it('answers a malformed body with 400 and issues nothing', async () => {
    const res = await t.app.inject({ method: 'POST', url: api('/coupons/issue'), headers: { 'content-type': 'application/json' }, payload: '{"couponId":1,' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_ERROR');
  });
});
