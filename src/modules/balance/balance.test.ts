import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, call, createTestApp, newUser, type TestApp } from '../../../test/helpers/app.js';
import { atOnce } from '../../../test/helpers/databases.js';
import { scalar } from '../../../test/helpers/sql.js';
import { purgeExpiredKeys } from '../../platform/idempotency/idempotency.js';

describe('balance', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { MAX_BALANCE: '3000000' } });
  });
  afterAll(() => t.close());

  const charge = (userId: number, amount: unknown, headers: Record<string, string> = {}) =>
    call(t.app, 'PUT', api(`/users/${userId}/balance`), { amount }, headers);
  const ledgerSum = (userId: number) =>
    scalar(
      t.database.db,
      `SELECT coalesce(sum(CASE type WHEN 'PAYMENT' THEN -amount ELSE amount END), 0) AS v FROM balance_history WHERE user_id = ${userId}`,
    );
  const balanceOf = (userId: number) => scalar(t.database.db, `SELECT balance AS v FROM users WHERE id = ${userId}`);

  it('charges and returns the new balance, and the ledger records it', async () => {
    const userId = await newUser(t.app, 'Lee');
    const first = await charge(userId, 10_000);
    expect(first).toMatchObject({ status: 200, body: { userId, name: 'Lee', balance: 10_000 } });
    const second = await charge(userId, 1);
    expect(second.body.balance).toBe(10_001);

    const history = await call(t.app, 'GET', api(`/users/${userId}/balance/history`));
    expect(history.status).toBe(200);
    expect(history.body).toEqual([
      { type: 'CHARGE', amount: 1, balanceAfter: 10_001, orderId: null, createdAt: expect.stringMatching(/Z$/) },
      { type: 'CHARGE', amount: 10_000, balanceAfter: 10_000, orderId: null, createdAt: expect.stringMatching(/Z$/) },
    ]);
    expect(await ledgerSum(userId)).toBe(await balanceOf(userId));
  });

  it('answers the balance query', async () => {
    const userId = await newUser(t.app, 'Park');
    await charge(userId, 500);
    expect(await call(t.app, 'GET', api(`/users/${userId}/balance`))).toMatchObject({
      status: 200,
      body: { userId, name: 'Park', balance: 500 },
    });
  });

  it('answers each of many concurrent balance reads with its own user (reads are batched)', async () => {
    const userIds = await Promise.all([1, 2, 3, 4, 5].map(async (n) => {
      const id = await newUser(t.app, `reader ${n}`);
      await charge(id, n * 100);
      return id;
    }));
    const asked = [...userIds, 999_999, ...userIds];
    const answers = await Promise.all(asked.map((id) => call(t.app, 'GET', api(`/users/${id}/balance`))));
    answers.forEach((a, i) => {
      if (asked[i] === 999_999) expect(a.body.code).toBe('USER_NOT_FOUND');
      else expect(a.body).toMatchObject({ userId: asked[i], balance: (userIds.indexOf(asked[i]!) + 1) * 100 });
    });
  });

  it('limits history to `limit`, newest first, and an empty history is an empty list', async () => {
    const userId = await newUser(t.app);
    expect((await call(t.app, 'GET', api(`/users/${userId}/balance/history`))).body).toEqual([]);
    for (const a of [1, 2, 3]) await charge(userId, a);
    const { body } = await call(t.app, 'GET', api(`/users/${userId}/balance/history?limit=2`));
    expect(body.map((e: { amount: number }) => e.amount)).toEqual([3, 2]);
  });

  it.each([
    ['zero', 0],
    ['negative', -5],
    ['above 1,000,000', 1_000_001],
    ['fractional', 10.5],
    ['a string', '100'],
    ['null', null],
  ])('rejects a %s amount with 400 and changes nothing', async (_label, amount) => {
    const userId = await newUser(t.app);
    await charge(userId, 100);
    const { status, body } = await charge(userId, amount);
    expect(status).toBe(400);
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(await balanceOf(userId)).toBe(100);
    expect(await scalar(t.database.db, `SELECT count(*) AS v FROM balance_history WHERE user_id = ${userId}`)).toBe(1);
  });

  it('accepts exactly 1,000,000 in one charge', async () => {
    const userId = await newUser(t.app);
    expect((await charge(userId, 1_000_000)).body.balance).toBe(1_000_000);
  });

  it.each(['0', '-1', 'abc', '1.5', '0x1', '1e0', '1.0', '%201', '+1', '01'])('rejects the path id %s with 400', async (id) => {
    expect((await call(t.app, 'GET', api(`/users/${id}/balance`))).body.code).toBe('VALIDATION_ERROR');
    expect((await call(t.app, 'PUT', api(`/users/${id}/balance`), { amount: 1 })).status).toBe(400);
  });

  it('defaults history to 50 entries and accepts up to 500', async () => {
    const userId = await newUser(t.app);
    await t.database.db.execute(
      `INSERT INTO balance_history (user_id, type, amount, balance_after) SELECT ${userId}, 'CHARGE', 1, g FROM generate_series(1, 60) g` as never,
    );
    expect((await call(t.app, 'GET', api(`/users/${userId}/balance/history`))).body).toHaveLength(50);
    const all = await call(t.app, 'GET', api(`/users/${userId}/balance/history?limit=500`));
    expect(all.body).toHaveLength(60);
    expect(all.body[0].balanceAfter).toBe(60); // newest first
  });

  it('checks the body before the user: a bad amount for an unknown user is 400', async () => {
    expect((await charge(999_999, 0)).status).toBe(400);
  });

  it('answers 400 for a malformed or missing charge body', async () => {
    const userId = await newUser(t.app);
    const malformed = await t.app.inject({
      method: 'PUT',
      url: api(`/users/${userId}/balance`),
      headers: { 'content-type': 'application/json' },
      payload: '{"amount": 1',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('VALIDATION_ERROR');
    const missing = await t.app.inject({ method: 'PUT', url: api(`/users/${userId}/balance`) });
    expect(missing.statusCode).toBe(400);
    expect(await balanceOf(userId)).toBe(0);
  });

  it.each(['0', '501', 'x', '0x10', '1e1'])('rejects history limit %s with 400', async (limit) => {
    const userId = await newUser(t.app);
    const { status, body } = await call(t.app, 'GET', api(`/users/${userId}/balance/history?limit=${limit}`));
    expect(status).toBe(400);
    expect(body.code).toBe('VALIDATION_ERROR');
  });

  it('answers 404 USER_NOT_FOUND for an unknown user on every balance route', async () => {
    for (const [method, path, payload] of [
      ['PUT', '/users/999999/balance', { amount: 1 }],
      ['GET', '/users/999999/balance', undefined],
      ['GET', '/users/999999/balance/history', undefined],
    ] as const) {
      const { status, body } = await call(t.app, method, api(path), payload);
      expect(status).toBe(404);
      expect(body.code).toBe('USER_NOT_FOUND');
    }
    expect(await scalar(t.database.db, 'SELECT count(*) AS v FROM balance_history WHERE user_id = 999999')).toBe(0);
  });

  it('allows a balance equal to MAX_BALANCE and refuses one past it with 409, unchanged', async () => {
    const userId = await newUser(t.app);
    await charge(userId, 1_000_000);
    await charge(userId, 1_000_000);
    expect((await charge(userId, 1_000_000)).body.balance).toBe(3_000_000);
    const over = await charge(userId, 1);
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ code: 'BALANCE_LIMIT_EXCEEDED', details: { balance: 3_000_000, amount: 1, maxBalance: 3_000_000 } });
    expect(await balanceOf(userId)).toBe(3_000_000);
    expect(await ledgerSum(userId)).toBe(3_000_000);
  });

  describe('Idempotency-Key', () => {
    it('replays the first answer for a repeat and charges once', async () => {
      const userId = await newUser(t.app);
      const key = { 'idempotency-key': `charge-${userId}` };
      const first = await charge(userId, 700, key);
      const again = await charge(userId, 700, key);
      expect(first.status).toBe(200);
      expect(again).toMatchObject({ status: 200, body: first.body });
      expect(await balanceOf(userId)).toBe(700);
      expect(await scalar(t.database.db, `SELECT count(*) AS v FROM balance_history WHERE user_id = ${userId}`)).toBe(1);
    });

    it('answers 409 IDEMPOTENCY_KEY_REUSED for the same key with another body; another user has keys of their own', async () => {
      const userId = await newUser(t.app);
      const other = await newUser(t.app);
      const key = { 'idempotency-key': `reuse-${userId}` };
      await charge(userId, 700, key);
      const differentAmount = await charge(userId, 800, key);
      expect(differentAmount.status).toBe(409);
      expect(differentAmount.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      const differentUser = await charge(other, 700, key);
      expect(differentUser).toMatchObject({ status: 200, body: { userId: other, balance: 700 } });
      expect(await balanceOf(userId)).toBe(700);
      expect(await balanceOf(other)).toBe(700);
    });

    it('remembers a business failure too, so a retry gets the same answer', async () => {
      const userId = await newUser(t.app);
      await charge(userId, 1_000_000);
      await charge(userId, 1_000_000);
      await charge(userId, 1_000_000);
      const key = { 'idempotency-key': `limit-${userId}` };
      const refused = await charge(userId, 5, key);
      expect(refused.body.code).toBe('BALANCE_LIMIT_EXCEEDED');
      // Even after room appears, the same key replays the first answer rather than charging.
      await t.database.db.execute(`UPDATE users SET balance = 0 WHERE id = ${userId}` as never);
      const replay = await charge(userId, 5, key);
      expect(replay).toMatchObject({ status: 409, body: refused.body });
      expect(await balanceOf(userId)).toBe(0);
    });

    it(`charges once when the same key arrives 20 times at once (${atOnce})`, async () => {
      const userId = await newUser(t.app);
      const key = { 'idempotency-key': `burst-${userId}` };
      const answers = await Promise.all(Array.from({ length: 20 }, () => charge(userId, 300, key)));
      expect(answers.every((a) => a.status === 200 && a.body.balance === 300)).toBe(true);
      expect(await balanceOf(userId)).toBe(300);
      expect(await scalar(t.database.db, `SELECT count(*) AS v FROM balance_history WHERE user_id = ${userId}`)).toBe(1);
    });

    it('remembers a key for 24 hours: a repeat just inside them still replays', async () => {
      const userId = await newUser(t.app);
      const key = { 'idempotency-key': `day-${userId}` };
      await charge(userId, 100, key);
      await t.database.db.execute(`UPDATE idempotency_keys SET created_at = now() - interval '23 hours 59 minutes' WHERE key = 'day-${userId}'` as never);
      expect(await charge(userId, 100, key)).toMatchObject({ status: 200, body: { balance: 100 } });
      expect(await balanceOf(userId)).toBe(100);
    });

    it('forgets a key after 24 hours: the same key then charges again', async () => {
      const userId = await newUser(t.app);
      const key = { 'idempotency-key': `old-${userId}` };
      await charge(userId, 100, key);
      await t.database.db.execute(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old-${userId}'` as never);
      expect((await charge(userId, 100, key)).body.balance).toBe(200);
      expect((await charge(userId, 100, key)).body.balance).toBe(200); // remembered again from now
    });

    it('purges keys older than 24 hours and keeps the rest', async () => {
      const userId = await newUser(t.app);
      await charge(userId, 1, { 'idempotency-key': `purge-old-${userId}` });
      await charge(userId, 1, { 'idempotency-key': `purge-new-${userId}` });
      await t.database.db.execute(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'purge-old-${userId}'` as never);
      expect(await purgeExpiredKeys(t.database.db)).toBeGreaterThanOrEqual(1);
      expect(await scalar(t.database.db, `SELECT count(*) AS v FROM idempotency_keys WHERE key LIKE 'purge-%-${userId}'`)).toBe(1);
      expect(await scalar(t.database.db, `SELECT count(*) AS v FROM idempotency_keys WHERE key = 'purge-new-${userId}'`)).toBe(1);
    });

    it('rejects an over-long key with 400', async () => {
      const userId = await newUser(t.app);
      const { status, body } = await charge(userId, 1, { 'idempotency-key': 'k'.repeat(256) });
      expect(status).toBe(400);
      expect(body.code).toBe('VALIDATION_ERROR');
      expect(await balanceOf(userId)).toBe(0);
    });
  });

  it(`loses no charge when 100 arrive at once, and the ledger equals the balance (${atOnce})`, async () => {
    const userId = await newUser(t.app);
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => charge(userId, i + 1)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(100);
    const expected = (100 * 101) / 2;
    expect(await balanceOf(userId)).toBe(expected);
    expect(await ledgerSum(userId)).toBe(expected);
    // Every balanceAfter is distinct: each charge saw the one before it.
    expect(await scalar(t.database.db, `SELECT count(DISTINCT balance_after) AS v FROM balance_history WHERE user_id = ${userId}`)).toBe(100);
  });
});
