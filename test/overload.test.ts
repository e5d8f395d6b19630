import nodeHttp from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerDatabase, type ServerDatabase } from './helpers/databases.js';
import { http, startInstance, type Instance } from './helpers/instances.js';
import { parallel } from './helpers/parallel.js';

const CHARGES = 3_000;
const USERS = 100;

// One connection per request, all at once: the flood the issue describes.
const agent = new nodeHttp.Agent({ keepAlive: false, maxSockets: Infinity });
function charge(baseUrl: string, userId: number, key: string): Promise<{ status: number; retryAfter?: string; body: string }> {
  return new Promise((resolve) => {
    const req = nodeHttp.request(
      `${baseUrl}/api/v1/users/${userId}/balance`,
      { method: 'PUT', agent, headers: { 'content-type': 'application/json', 'idempotency-key': key } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, body: String(err) }));
    req.end('{"amount":1}');
  });
}

// 3,000 concurrent keyed charges on one instance of the PostgreSQL server.
describe('an instance flooded with charges', () => {
  let db: ServerDatabase;
  let instance: Instance;
  let sql: pg.Pool;
  beforeAll(async () => {
    db = await createServerDatabase();
    // A low cap, so that the flood surely meets it; the rest waits a bounded time for the pool.
    instance = await startInstance({ DATABASE_URL: db.url, SEED_DEMO: 'false', MAX_IN_FLIGHT: '100', LOG_LEVEL: 'info' });
    sql = new pg.Pool({ connectionString: db.url, max: 2 });
  });
  afterAll(async () => {
    await instance?.stop();
    await sql?.end();
    await db?.drop();
  });

  it('answers 200 or 503 with Retry-After, never 500, charges exactly what it answered 200, and logs the overload, not each request', async () => {
    const users = await parallel(USERS, 20, async (i) => (await http(instance.baseUrl, 'POST', '/api/v1/users', { name: `u${i}` })).body.userId as number);
    const logBefore = instance.output().length;
    const answers = await Promise.all(Array.from({ length: CHARGES }, (_, i) => charge(instance.baseUrl, users[i % USERS]!, `flood-${i}`)));

    const statuses = new Set(answers.map((a) => a.status));
    expect([...statuses].sort()).toEqual([200, 503]);
    const refused = answers.filter((a) => a.status === 503);
    for (const a of refused) {
      expect(a.retryAfter).toBe('1');
      expect(JSON.parse(a.body)).toEqual({ code: 'SERVICE_UNAVAILABLE', message: expect.any(String) });
    }

    // Money: every 200 charged once, every 503 nothing, and each balance is its ledger.
    const ok = answers.filter((a) => a.status === 200).length;
    const one = async (q: string) => Number((await sql.query(q)).rows[0].v);
    expect(await one('SELECT sum(balance) AS v FROM users')).toBe(ok);
    expect(await one(`SELECT count(*) AS v FROM balance_history WHERE type = 'CHARGE'`)).toBe(ok);
    expect(await one('SELECT count(*) AS v FROM idempotency_keys')).toBe(ok);
    expect(await one(`SELECT count(*) AS v FROM users u WHERE balance <> (SELECT coalesce(sum(amount), 0) FROM balance_history h WHERE h.user_id = u.id)`)).toBe(0);

    // A refused request ran nothing: retried with its key, it is charged now; an answered one is replayed.
    const retried = answers.map((a, i) => ({ a, i })).filter(({ a }) => a.status === 503).slice(0, 20);
    for (const { i } of retried) expect((await charge(instance.baseUrl, users[i % USERS]!, `flood-${i}`)).status).toBe(200);
    const replayed = answers.map((a, i) => ({ a, i })).filter(({ a }) => a.status === 200).slice(0, 20);
    for (const { i } of replayed) expect((await charge(instance.baseUrl, users[i % USERS]!, `flood-${i}`)).status).toBe(200);
    expect(await one('SELECT sum(balance) AS v FROM users')).toBe(ok + retried.length);

    // The log: a few lines about the overload, and no stack trace for any refused request.
    const log = instance.output().slice(logBefore);
    const warnings = log.split('\n').filter((l) => /overloaded|database unreachable/.test(l));
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.length).toBeLessThanOrEqual(6);
    expect(log).not.toMatch(/\n\s+at |"stack"/);
  });
});
