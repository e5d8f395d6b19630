import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, call, createTestApp, newCoupon, newUser, type TestApp } from '../../../test/helpers/app.js';
import { userCoupons } from './coupons.catalog.js';

// The status of a held coupon is derived when listed: USED if an order used it (whatever its expiry),
// else EXPIRED from expiresAt on (that instant included), else AVAILABLE. Orders do not exist yet, so
// the use is written directly (used_at and order_id go together, by a CHECK).
describe("the status of a user's coupons", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const issue = async (userId: number) => {
    const coupon = await newCoupon(t.app);
    const { status } = await call(t.app, 'POST', api('/coupons/issue'), { couponId: coupon.id, userId });
    expect(status).toBe(201);
    return coupon.id;
  };
  const sqlRun = (text: string) => t.database.db.execute(text as never);
  const statusAt = async (userId: number, couponId: number, now: Date) =>
    (await userCoupons(t.database.db, userId, now)).find((c) => c.couponId === couponId)?.status;

  it('answers USED for a coupon both used and expired', async () => {
    const userId = await newUser(t.app);
    const couponId = await issue(userId);
    await sqlRun(
      `UPDATE coupon_issues SET issued_at = now() - interval '10 days', expires_at = now() - interval '3 days',
              used_at = now() - interval '5 days', order_id = 4242
       WHERE coupon_id = ${couponId} AND user_id = ${userId}`,
    );
    const { status, body } = await call(t.app, 'GET', api(`/users/${userId}/coupons`));
    expect(status).toBe(200);
    expect(body).toEqual([expect.objectContaining({ couponId, status: 'USED', usedAt: expect.stringMatching(/Z$/) })]);
    expect(await statusAt(userId, couponId, new Date())).toBe('USED');
  });

  it('answers EXPIRED from the expiry instant itself, AVAILABLE one millisecond before', async () => {
    const userId = await newUser(t.app);
    const couponId = await issue(userId);
    const expiresAt = new Date('2031-03-04T05:06:07.089Z');
    await sqlRun(`UPDATE coupon_issues SET issued_at = '2031-03-01T00:00:00Z', expires_at = '${expiresAt.toISOString()}' WHERE coupon_id = ${couponId}`);
    expect(await statusAt(userId, couponId, new Date(expiresAt.getTime() - 1))).toBe('AVAILABLE');
    expect(await statusAt(userId, couponId, expiresAt)).toBe('EXPIRED');
    expect(await statusAt(userId, couponId, new Date(expiresAt.getTime() + 1))).toBe('EXPIRED');
  });

  it('answers USED at and after the expiry instant too, and USED before it', async () => {
    const userId = await newUser(t.app);
    const couponId = await issue(userId);
    const expiresAt = new Date('2031-03-04T05:06:07.089Z');
    await sqlRun(
      `UPDATE coupon_issues SET issued_at = '2031-03-01T00:00:00Z', expires_at = '${expiresAt.toISOString()}',
              used_at = '2031-03-02T00:00:00Z', order_id = 4243
       WHERE coupon_id = ${couponId}`,
    );
    for (const offset of [-1, 0, 1]) expect(await statusAt(userId, couponId, new Date(expiresAt.getTime() + offset))).toBe('USED');
  });
});
