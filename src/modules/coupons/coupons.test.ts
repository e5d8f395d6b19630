import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, api, call, createTestApp, HOUR, newCoupon, newUser, type TestApp } from '../../../test/helpers/app.js';
import { atOnce, REDIS_URL } from '../../../test/helpers/databases.js';
import { tally } from '../../../test/helpers/parallel.js';
import { scalar } from '../../../test/helpers/sql.js';

// The same behaviour with the in-process gate (no REDIS_URL) and with the Redis gate.
describe.each([
  ['in-process gate', undefined],
  ['Redis gate', REDIS_URL],
])('coupons with the %s', (_label, redisUrl) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(redisUrl ? { redisUrl } : {});
  });
  afterAll(() => t.close());

  const issue = (couponId: unknown, userId: unknown) => call(t.app, 'POST', api('/coupons/issue'), { couponId, userId });
  const issuedRows = (couponId: number) => scalar(t.database.db, `SELECT count(*) AS v FROM coupon_issues WHERE coupon_id = ${couponId}`);
  const issuedCount = (couponId: number) => scalar(t.database.db, `SELECT issued_quantity AS v FROM coupons WHERE id = ${couponId}`);

  it('issues a coupon with its terms and expiry', async () => {
    const userId = await newUser(t.app);
    const coupon = await newCoupon(t.app, { name: 'Fixed 3000', discountType: 'FIXED', discountValue: 3_000, maxDiscountAmount: null, validityDays: 3 });
    const { status, body } = await issue(coupon.id, userId);
    expect(status).toBe(201);
    expect(body).toEqual({
      couponId: coupon.id,
      userId,
      name: 'Fixed 3000',
      discountType: 'FIXED',
      discountValue: 3_000,
      status: 'AVAILABLE',
      issuedAt: expect.stringMatching(/Z$/),
      expiresAt: expect.stringMatching(/Z$/),
    });
    expect(Date.parse(body.expiresAt) - Date.parse(body.issuedAt)).toBe(3 * 24 * HOUR);
    expect(await issuedCount(coupon.id)).toBe(1);
  });

  it('lists the user coupons with AVAILABLE, USED and EXPIRED', async () => {
    const userId = await newUser(t.app);
    const a = await newCoupon(t.app, { name: 'A', minimumOrderAmount: 10_000 });
    const b = await newCoupon(t.app, { name: 'B' });
    const c = await newCoupon(t.app, { name: 'C' });
    for (const id of [a.id, b.id, c.id]) expect((await issue(id, userId)).status).toBe(201);
    await t.database.db.execute(`UPDATE coupon_issues SET used_at = now(), order_id = 77 WHERE coupon_id = ${b.id}` as never);
    await t.database.db.execute(
      `UPDATE coupon_issues SET issued_at = now() - interval '10 days', expires_at = now() - interval '1 day' WHERE coupon_id = ${c.id}` as never,
    );
    const { status, body } = await call(t.app, 'GET', api(`/users/${userId}/coupons`));
    expect(status).toBe(200);
    expect(body.map((x: { couponId: number; status: string }) => [x.couponId, x.status])).toEqual([
      [c.id, 'EXPIRED'],
      [b.id, 'USED'],
      [a.id, 'AVAILABLE'],
    ]);
    expect(body[2]).toMatchObject({ name: 'A', discountType: 'PERCENTAGE', discountValue: 10, minimumOrderAmount: 10_000, usedAt: null });
    expect(body[1].usedAt).toMatch(/Z$/);
  });

  it('lists no coupons as an empty list, and an unknown user as 404', async () => {
    const userId = await newUser(t.app);
    expect(await call(t.app, 'GET', api(`/users/${userId}/coupons`))).toMatchObject({ status: 200, body: [] });
    expect(await call(t.app, 'GET', api('/users/999999/coupons'))).toMatchObject({ status: 404, body: { code: 'USER_NOT_FOUND' } });
  });

  it.each([
    ['no body fields', {}],
    ['a string id', { couponId: '1', userId: 1 }],
    ['a zero id', { couponId: 0, userId: 1 }],
    ['a negative user', { couponId: 1, userId: -2 }],
  ])('rejects %s with 400', async (_label, payload) => {
    const { status, body } = await call(t.app, 'POST', api('/coupons/issue'), payload);
    expect(status).toBe(400);
    expect(body.code).toBe('VALIDATION_ERROR');
  });

  it('checks in order: user, coupon, window, already issued, quantity', async () => {
    const userId = await newUser(t.app);
    const soldOut = await newCoupon(t.app, { totalQuantity: 1 });
    const future = await newCoupon(t.app, {
      issueStartAt: new Date(Date.now() + HOUR).toISOString(),
      issueEndAt: new Date(Date.now() + 2 * HOUR).toISOString(),
    });
    const past = await newCoupon(t.app, {
      issueStartAt: new Date(Date.now() - 2 * HOUR).toISOString(),
      issueEndAt: new Date(Date.now() - HOUR).toISOString(),
    });
    // Unknown user beats unknown coupon, window and quantity.
    expect((await issue(999_999, 999_999)).body.code).toBe('USER_NOT_FOUND');
    expect((await issue(soldOut.id, 999_999)).body.code).toBe('USER_NOT_FOUND');
    expect(await issue(999_999, userId)).toMatchObject({ status: 404, body: { code: 'COUPON_NOT_FOUND' } });
    expect(await issue(future.id, userId)).toMatchObject({ status: 409, body: { code: 'COUPON_NOT_ACTIVE' } });
    expect(await issue(past.id, userId)).toMatchObject({ status: 409, body: { code: 'COUPON_NOT_ACTIVE' } });
    // The one holder asking again hears ALREADY_ISSUED even though none are left.
    expect((await issue(soldOut.id, userId)).status).toBe(201);
    expect(await issue(soldOut.id, userId)).toMatchObject({ status: 409, body: { code: 'COUPON_ALREADY_ISSUED' } });
    const other = await newUser(t.app);
    expect(await issue(soldOut.id, other)).toMatchObject({ status: 409, body: { code: 'COUPON_SOLD_OUT' } });
    expect(await issuedRows(soldOut.id)).toBe(1);
    expect(await issuedRows(future.id)).toBe(0);
    expect(await issuedRows(past.id)).toBe(0);
  });

  it(`issues exactly the total under a stampede of 300 users for 20 coupons (${atOnce})`, async () => {
    const coupon = await newCoupon(t.app, { totalQuantity: 20 });
    await t.database.db.execute(`INSERT INTO users (name) SELECT 'stampede ' || g FROM generate_series(1, 300) g` as never);
    const ids = (await t.database.db.execute(`SELECT id FROM users WHERE name LIKE 'stampede %' ORDER BY id` as never)) as unknown as {
      rows: Array<{ id: number | string }>;
    };
    const answers = await Promise.all(ids.rows.map((r) => issue(coupon.id, Number(r.id))));
    // Every answer is a 201 or a 409 COUPON_SOLD_OUT: an increment that ignored the quantity must fail
    // here on its answers, not only through the CHECK constraint turning it into 500s.
    expect(tally(answers)).toEqual({ '201': 20, '409 COUPON_SOLD_OUT': 280 });
    expect(await issuedRows(coupon.id)).toBe(20);
    expect(await issuedCount(coupon.id)).toBe(20);
    // A second wave after the database said sold out is answered in-process, with no I/O.
    const soldOutByMemo = async () =>
      Number(
        /coupon_issue_requests_total\{result="SOLD_OUT",decided_by="memo"\} (\d+)/.exec((await t.app.inject({ method: 'GET', url: '/metrics' })).body)?.[1] ?? 0,
      );
    const before = await soldOutByMemo();
    const losers = ids.rows.map((r) => Number(r.id)).filter((_, i) => answers[i]!.status !== 201).slice(0, 50);
    const wave = await Promise.all(losers.map((userId) => issue(coupon.id, userId)));
    expect(tally(wave)).toEqual({ '409 COUPON_SOLD_OUT': 50 });
    expect((await soldOutByMemo()) - before).toBe(50);
  });

  it(`issues one coupon when one user asks 30 times at once (${atOnce})`, async () => {
    const userId = await newUser(t.app);
    const coupon = await newCoupon(t.app, { totalQuantity: 5 });
    const answers = await Promise.all(Array.from({ length: 30 }, () => issue(coupon.id, userId)));
    expect(tally(answers)).toEqual({ '201': 1, '409 COUPON_ALREADY_ISSUED': 29 });
    expect(await issuedRows(coupon.id)).toBe(1);
    expect(await issuedCount(coupon.id)).toBe(1);
  });

  it('keeps telling holders from others once it knows a coupon is sold out for good', async () => {
    const coupon = await newCoupon(t.app, { totalQuantity: 1 });
    const [holder, late] = [await newUser(t.app), await newUser(t.app)];
    expect((await issue(coupon.id, holder)).status).toBe(201);
    for (let i = 0; i < 3; i++) {
      expect((await issue(coupon.id, late)).body.code).toBe('COUPON_SOLD_OUT');
      expect((await issue(coupon.id, holder)).body.code).toBe('COUPON_ALREADY_ISSUED');
    }
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/coupon_issue_requests_total\{result="ALREADY_ISSUED",decided_by="memo"\} [1-9]/);
    expect(await issuedRows(coupon.id)).toBe(1);
  });

  it('knows holders issued before it started (the gate rebuilds from the database)', async () => {
    const coupon = await newCoupon(t.app, { totalQuantity: 2 });
    const [u1, u2, u3] = [await newUser(t.app), await newUser(t.app), await newUser(t.app)];
    // Issued behind the app's back: the gate has never seen these.
    await t.database.db.execute(
      `INSERT INTO coupon_issues (coupon_id, user_id, expires_at) VALUES (${coupon.id}, ${u1}, now() + interval '1 day'), (${coupon.id}, ${u2}, now() + interval '1 day')` as never,
    );
    await t.database.db.execute(`UPDATE coupons SET issued_quantity = 2 WHERE id = ${coupon.id}` as never);
    expect((await issue(coupon.id, u1)).body.code).toBe('COUPON_ALREADY_ISSUED');
    expect((await issue(coupon.id, u3)).body.code).toBe('COUPON_SOLD_OUT');
  });
});

describe('admin coupons', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const valid = {
    name: 'Ten percent',
    code: 'TEN-1',
    discountType: 'PERCENTAGE',
    discountValue: 10,
    minimumOrderAmount: 20_000,
    maxDiscountAmount: 5_000,
    totalQuantity: 100,
    issueStartAt: '2026-01-01T00:00:00.000Z',
    issueEndAt: '2027-01-01T00:00:00.000Z',
    validityDays: 30,
  };

  it('defines a coupon and answers it with its id', async () => {
    const { status, body } = await call(t.app, 'POST', api('/admin/coupons'), valid, adminAuth);
    expect(status).toBe(201);
    expect(body).toEqual({ id: expect.any(Number), ...valid, issuedQuantity: 0 });
  });

  it('defaults the minimum to 0 and the cap to none', async () => {
    const { minimumOrderAmount: _m, maxDiscountAmount: _x, ...rest } = valid;
    const { body } = await call(t.app, 'POST', api('/admin/coupons'), { ...rest, code: 'PLAIN', discountType: 'FIXED', discountValue: 1_000 }, adminAuth);
    expect(body).toMatchObject({ minimumOrderAmount: 0, maxDiscountAmount: null });
  });

  it.each([
    ['a percentage above 100', { discountValue: 101 }],
    ['a zero discount', { discountValue: 0 }],
    ['an unknown type', { discountType: 'BOGO' }],
    ['a cap on a FIXED coupon', { discountType: 'FIXED', discountValue: 1_000, maxDiscountAmount: 10 }],
    ['an end before the start', { issueEndAt: '2025-12-31T00:00:00.000Z' }],
    ['a zero quantity', { totalQuantity: 0 }],
    ['zero validity days', { validityDays: 0 }],
    ['a negative minimum', { minimumOrderAmount: -1 }],
    ['a bad date', { issueStartAt: 'tomorrow' }],
    ['a bad code', { code: 'has space' }],
  ])('rejects %s with 400 and defines nothing', async (_label, patch) => {
    const before = await scalar(t.database.db, 'SELECT count(*) AS v FROM coupons');
    const { status, body } = await call(t.app, 'POST', api('/admin/coupons'), { ...valid, code: 'BAD', ...patch }, adminAuth);
    expect(status).toBe(400);
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(await scalar(t.database.db, 'SELECT count(*) AS v FROM coupons')).toBe(before);
  });

  it('rejects a code already taken with 400', async () => {
    await call(t.app, 'POST', api('/admin/coupons'), { ...valid, code: 'TWICE' }, adminAuth);
    const { status, body } = await call(t.app, 'POST', api('/admin/coupons'), { ...valid, code: 'TWICE' }, adminAuth);
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'code' } });
  });

  it('needs the admin token', async () => {
    expect((await call(t.app, 'POST', api('/admin/coupons'), valid)).body.code).toBe('UNAUTHORIZED');
  });
});
