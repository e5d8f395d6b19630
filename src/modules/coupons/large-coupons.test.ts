import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, call, createTestApp, newCoupon, newUser, type TestApp } from '../../../test/helpers/app.js';
import { atOnce, REDIS_URL } from '../../../test/helpers/databases.js';
import { parallel, tally } from '../../../test/helpers/parallel.js';
import { scalar } from '../../../test/helpers/sql.js';

// Coupons above COUPON_HOLDER_SET_MAX keep no holder list anywhere (gate or memo): "already issued?"
// is the unique index's to answer. A threshold of 5 makes every coupon here such a coupon.
const MAX = 5;

describe.each([
  ['in-process gate', undefined],
  ['Redis gate', REDIS_URL],
])('coupons above the holder-set threshold with the %s', (_label, redisUrl) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { COUPON_HOLDER_SET_MAX: String(MAX) }, ...(redisUrl ? { redisUrl } : {}) });
  });
  afterAll(() => t.close());

  const issue = (couponId: number, userId: number) => call(t.app, 'POST', api('/coupons/issue'), { couponId, userId });
  const issuedRows = (couponId: number) => scalar(t.database.db, `SELECT count(*) AS v FROM coupon_issues WHERE coupon_id = ${couponId}`);
  const issuedCount = (couponId: number) => scalar(t.database.db, `SELECT issued_quantity AS v FROM coupons WHERE id = ${couponId}`);
  const decided = async (result: string, by: string) =>
    Number(
      new RegExp(`coupon_issue_requests_total\\{result="${result}",decided_by="${by}"\\} (\\d+)`).exec(
        (await t.app.inject({ method: 'GET', url: '/metrics' })).body,
      )?.[1] ?? 0,
    );
  const insertHolders = async (couponId: number, userIds: number[]) => {
    await t.database.db.execute(
      `INSERT INTO coupon_issues (coupon_id, user_id, expires_at) SELECT ${couponId}, u, now() + interval '1 day' FROM unnest(ARRAY[${userIds.join(',')}]::bigint[]) u` as never,
    );
    await t.database.db.execute(`UPDATE coupons SET issued_quantity = ${userIds.length} WHERE id = ${couponId}` as never);
  };

  it(`issues exactly 20 of 20 to 300 users each asking twice, 50 requests in flight, one per user (${atOnce})`, async () => {
    const coupon = await newCoupon(t.app, { totalQuantity: 20 });
    await t.database.db.execute(`INSERT INTO users (name) SELECT 'large ' || g FROM generate_series(1, 300) g` as never);
    const ids = (await t.database.db.execute(`SELECT id FROM users WHERE name LIKE 'large %' ORDER BY id` as never)) as unknown as {
      rows: Array<{ id: number | string }>;
    };
    const users = ids.rows.map((r) => Number(r.id));
    // A user's two asks are next to each other, so both are in flight at once; 50 at a time keeps
    // the test pool (30 connections) from waiting past its 5 s (a 503) on a loaded machine.
    const asks = users.flatMap((u) => [u, u]);
    const answers = await parallel(asks.length, 50, (i) => issue(coupon.id, asks[i]!));
    const t1 = tally(answers);
    expect(t1['201']).toBe(20);
    expect(Object.keys(t1).filter((k) => !['201', '409 COUPON_SOLD_OUT', '409 COUPON_ALREADY_ISSUED'].includes(k))).toEqual([]);
    const winners = answers.filter((a) => a.status === 201).map((a) => a.body.userId as number);
    expect(new Set(winners).size).toBe(20);
    expect(await issuedRows(coupon.id)).toBe(20);
    expect(await issuedCount(coupon.id)).toBe(20);

    // Now sold out: holders hear ALREADY_ISSUED and everyone else SOLD_OUT, both by the index (no holder list).
    const [byIndexHeld, byIndexSoldOut] = [await decided('ALREADY_ISSUED', 'database'), await decided('SOLD_OUT', 'database')];
    const losers = users.filter((u) => !winners.includes(u)).slice(0, 40);
    const wave = await Promise.all([...winners, ...losers].map((u) => issue(coupon.id, u)));
    expect(tally(wave)).toEqual({ '409 COUPON_ALREADY_ISSUED': 20, '409 COUPON_SOLD_OUT': 40 });
    expect(wave.slice(0, 20).every((a) => a.body.code === 'COUPON_ALREADY_ISSUED')).toBe(true);
    expect((await decided('ALREADY_ISSUED', 'database')) - byIndexHeld).toBe(20);
    expect((await decided('SOLD_OUT', 'database')) - byIndexSoldOut).toBe(40);

    if (t.redis) {
      // The Redis gate keeps a count for it, never a set of its holders.
      expect(await t.redis.client.exists(`coupon:{${coupon.id}}:issued`)).toBe(0);
      expect(await t.redis.client.get(`coupon:{${coupon.id}}:count`)).toBe('20');
    }
  });

  it('knows holders issued behind its back, before and after sold out', async () => {
    const coupon = await newCoupon(t.app, { totalQuantity: MAX + 2 });
    const users = await Promise.all(Array.from({ length: MAX + 3 }, () => newUser(t.app)));
    await insertHolders(coupon.id, users.slice(0, MAX));
    expect((await issue(coupon.id, users[0]!)).body.code).toBe('COUPON_ALREADY_ISSUED');
    expect((await issue(coupon.id, users[MAX]!)).status).toBe(201);
    expect((await issue(coupon.id, users[MAX]!)).body.code).toBe('COUPON_ALREADY_ISSUED');
    expect((await issue(coupon.id, users[MAX + 1]!)).status).toBe(201);
    for (let i = 0; i < 3; i++) {
      expect((await issue(coupon.id, users[MAX + 2]!)).body.code).toBe('COUPON_SOLD_OUT');
      expect((await issue(coupon.id, users[1]!)).body.code).toBe('COUPON_ALREADY_ISSUED');
      expect((await issue(coupon.id, users[MAX + 1]!)).body.code).toBe('COUPON_ALREADY_ISSUED');
    }
    expect(await issuedRows(coupon.id)).toBe(MAX + 2);
  });

  it('still keeps the holder set of a coupon at the threshold (answered without the index)', async () => {
    const coupon = await newCoupon(t.app, { totalQuantity: MAX });
    const [a, b] = [await newUser(t.app), await newUser(t.app)];
    expect((await issue(coupon.id, a)).status).toBe(201);
    const before = await decided('ALREADY_ISSUED', 'gate');
    expect((await issue(coupon.id, a)).body.code).toBe('COUPON_ALREADY_ISSUED');
    expect((await decided('ALREADY_ISSUED', 'gate')) - before).toBe(1);
    expect((await issue(coupon.id, b)).status).toBe(201);
  });
});
