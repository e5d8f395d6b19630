import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyLockName } from '../src/platform/idempotency/idempotency.js';
import { api, call, createTestApp, newUser, type TestApp } from './helpers/app.js';

// Needs a second connection holding the key, so only the server can show it (PGlite has one).
describe('a repeat arriving while the first request is still in flight', () => {
  let t: TestApp;
  let holder: pg.Client;
  beforeAll(async () => {
    t = await createTestApp({ backend: 'postgres' });
    holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
  });
  afterAll(async () => {
    await holder.end();
    await t.close();
  });

  it('waits for it, then replays its answer', async () => {
    const userId = await newUser(t.app);
    await holder.query('BEGIN');
    await holder.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [keyLockName('balance.charge', userId, 'slow')]);
    const waiting = call(t.app, 'PUT', api(`/users/${userId}/balance`), { amount: 10 }, { 'idempotency-key': 'slow' });
    await new Promise((r) => setTimeout(r, 300));
    // The "first request" finishes: it stored its answer under the key and commits.
    await holder.query(
      `INSERT INTO idempotency_keys (scope, user_id, key, request_hash, response_status, response_body)
       VALUES ('balance.charge', $3, 'slow', $1, 200, $2)`,
      [
        (await import('../src/shared/canonical-json.js')).fingerprint({ userId, amount: 10 }),
        JSON.stringify({ userId, name: 'tester', balance: 10 }),
        userId,
      ],
    );
    await holder.query('COMMIT');
    const answer = await waiting;
    expect(answer).toMatchObject({ status: 200, body: { userId, balance: 10 } });
    // Replayed, not charged again.
    expect((await call(t.app, 'GET', api(`/users/${userId}/balance`))).body.balance).toBe(0);
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_USE when the first takes too long, and charges nothing', async () => {
    const userId = await newUser(t.app);
    await holder.query('BEGIN');
    await holder.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [keyLockName('balance.charge', userId, 'stuck')]);
    try {
      const answer = await call(t.app, 'PUT', api(`/users/${userId}/balance`), { amount: 10 }, { 'idempotency-key': 'stuck' });
      expect(answer).toMatchObject({ status: 409, body: { code: 'IDEMPOTENCY_KEY_IN_USE' } });
    } finally {
      await holder.query('ROLLBACK');
    }
    expect((await call(t.app, 'GET', api(`/users/${userId}/balance`))).body.balance).toBe(0);
  });
});
