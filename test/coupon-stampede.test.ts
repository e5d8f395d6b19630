import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, adminAuth, openCouponBody } from './helpers/app.js';
import { REDIS_URL } from './helpers/databases.js';
import { Fleets } from './helpers/fleet.js';
import { http, startInstance, type Instance } from './helpers/instances.js';
import { parallel, tally } from './helpers/parallel.js';

const ADMIN = adminAuth;
const USERS = 2_000;
const COUPONS = 100;
// A Redis logical database of this file's own, so FLUSHDB here touches no other test.
const FLUSH_DB_URL = `${REDIS_URL.replace(/\/\d*$/, '')}/7`;

const couponBody = (totalQuantity: number) => openCouponBody('Stampede', totalQuantity);

interface Cluster {
  instances: Instance[];
  sql: pg.Pool;
  userIds: number[];
  couponId: number;
  /** The instances' REDIS_PREFIX. */
  prefix: string;
}

describe('coupon stampede on the PostgreSQL server, several instances', () => {
  const fleets = new Fleets('stampede');
  afterEach(() => fleets.stopInstances());
  afterAll(() => fleets.cleanUp());

  async function cluster(redisUrl: string | undefined, count = 2, extraEnv: Record<string, string> = {}): Promise<Cluster> {
    const { instances, sql, env } = await fleets.start({ count, env: { ADMIN_TOKEN, ...extraEnv, ...(redisUrl ? { REDIS_URL: redisUrl } : {}) } });
    const { rows } = await sql.query(`INSERT INTO users (name) SELECT 'user ' || g FROM generate_series(1, ${USERS}) g RETURNING id`);
    const coupon = await http(instances[0]!.baseUrl, 'POST', '/api/v1/admin/coupons', couponBody(COUPONS), ADMIN);
    expect(coupon.status).toBe(201);
    return { instances, sql, userIds: rows.map((r) => Number(r.id)), couponId: coupon.body.id, prefix: env['REDIS_PREFIX']! };
  }

  const issue = (c: Cluster, i: number, userId: number) =>
    http(c.instances[i % c.instances.length]!.baseUrl, 'POST', '/api/v1/coupons/issue', { couponId: c.couponId, userId });

  async function expectExactlyTotal(c: Cluster): Promise<void> {
    const rows = Number((await c.sql.query('SELECT count(*) AS n FROM coupon_issues WHERE coupon_id = $1', [c.couponId])).rows[0].n);
    const distinct = Number((await c.sql.query('SELECT count(DISTINCT user_id) AS n FROM coupon_issues WHERE coupon_id = $1', [c.couponId])).rows[0].n);
    const counter = Number((await c.sql.query('SELECT issued_quantity AS n FROM coupons WHERE id = $1', [c.couponId])).rows[0].n);
    expect({ rows, distinct, counter }).toEqual({ rows: COUPONS, distinct: COUPONS, counter: COUPONS });
  }

  it('issues exactly 100 of 100 to 2,000 users racing through Redis on two instances', async () => {
    const c = await cluster(REDIS_URL);
    const answers = await parallel(USERS, 200, (i) => issue(c, i, c.userIds[i]!));
    // Exactly the total answered 201, and every refusal is 409 COUPON_SOLD_OUT: an increment that ignored
    // the quantity fails here on its answers, not only through the CHECK constraint turning it into 500s.
    expect(tally(answers)).toEqual({ '201': COUPONS, '409 COUPON_SOLD_OUT': USERS - COUPONS });
    await expectExactlyTotal(c);
    // Every 201 went to a distinct user that now holds the coupon.
    const winners = answers.filter((a) => a.status === 201).map((a) => a.body.userId);
    expect(new Set(winners).size).toBe(COUPONS);
  });

  it('issues exactly 100 once per user on three instances when the coupon is above the holder-set threshold', async () => {
    // COUPON_HOLDER_SET_MAX=10: no instance and no Redis key keeps this coupon's holders.
    const c = await cluster(REDIS_URL, 3, { COUPON_HOLDER_SET_MAX: '10' });
    // 500 users, each asking twice, the two asks on different instances.
    const n = 500;
    const answers = await parallel(2 * n, 60, (i) => issue(c, i, c.userIds[i % n]!));
    const counts = tally(answers);
    expect(counts['201']).toBe(COUPONS);
    expect(Object.keys(counts).sort()).toEqual(['201', '409 COUPON_ALREADY_ISSUED', '409 COUPON_SOLD_OUT']);
    await expectExactlyTotal(c);
    const winners = answers.filter((a) => a.status === 201).map((a) => a.body.userId as number);
    expect(new Set(winners).size).toBe(COUPONS);
    // Afterwards every instance tells each winner ALREADY_ISSUED and everyone else SOLD_OUT.
    const again = await parallel(3 * 40, 60, (i) => issue(c, i, i < 60 ? winners[i % COUPONS]! : c.userIds[n + i]!));
    expect(tally(again)).toEqual({ '409 COUPON_ALREADY_ISSUED': 60, '409 COUPON_SOLD_OUT': 60 });
    expect(again.slice(0, 60).every((a) => a.body.code === 'COUPON_ALREADY_ISSUED')).toBe(true);
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.keys(`${c.prefix}*coupon:{${c.couponId}}:issued`)).toEqual([]);
      expect(await redis.keys(`${c.prefix}*coupon:{${c.couponId}}:count`)).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  }, 180_000);

  it('issues one coupon to one user asking 30 times at once across instances', async () => {
    const c = await cluster(REDIS_URL);
    const answers = await parallel(30, 30, (i) => issue(c, i, c.userIds[0]!));
    expect(tally(answers)).toEqual({ '201': 1, '409 COUPON_ALREADY_ISSUED': 29 });
    expect(Number((await c.sql.query('SELECT count(*) AS n FROM coupon_issues WHERE user_id = $1', [c.userIds[0]])).rows[0].n)).toBe(1);
  });

  it("issues exactly 100 of 100 on two instances that each gate on their own (no Redis): together they admit twice the total", async () => {
    const c = await cluster(undefined, 2, { REDIS_URL: '' });
    const answers = await parallel(USERS, 200, (i) => issue(c, i, c.userIds[i]!));
    expect(tally(answers)).toEqual({ '201': COUPONS, '409 COUPON_SOLD_OUT': USERS - COUPONS });
    await expectExactlyTotal(c);
  });

  it('still issues exactly 100 with Redis unreachable, and /ready says so', async () => {
    const c = await cluster('redis://127.0.0.1:1');
    const ready = await http(c.instances[0]!.baseUrl, 'GET', '/ready');
    expect(ready).toMatchObject({ status: 503, body: { checks: { database: 'up', redis: 'down' } } });
    const answers = await parallel(USERS, 200, (i) => issue(c, i, c.userIds[i]!));
    expect(tally(answers)).toEqual({ '201': COUPONS, '409 COUPON_SOLD_OUT': USERS - COUPONS });
    await expectExactlyTotal(c);
  });

  it('still issues exactly 100 when Redis is flushed in the middle of the stampede', async () => {
    const c = await cluster(FLUSH_DB_URL);
    const redis = new Redis(FLUSH_DB_URL);
    try {
      let flushes = 0;
      const answers = await parallel(USERS, 200, async (i) => {
        // Flush twice: once while coupons remain, once after they are gone.
        if (i === 60 || i === 1_000) {
          await redis.flushdb();
          flushes++;
        }
        return issue(c, i, c.userIds[i]!);
      });
      expect(flushes).toBe(2);
      expect(tally(answers)).toEqual({ '201': COUPONS, '409 COUPON_SOLD_OUT': USERS - COUPONS });
      await expectExactlyTotal(c);
      // The gate rebuilt itself: a holder asking again is answered ALREADY_ISSUED.
      const again = await issue(c, 0, c.userIds.find((_, i) => answers[i]!.status === 201)!);
      expect(again.body.code).toBe('COUPON_ALREADY_ISSUED');
    } finally {
      redis.disconnect();
    }
  });
});

describe('coupon stampede on the embedded default (PGlite, no Redis)', () => {
  it('issues exactly 100 of 100 to 2,000 users (functional: PGlite has one connection)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stampede-'));
    const instance = await startInstance({ DATA_DIR: dataDir, ADMIN_TOKEN, SEED_DEMO: 'false' });
    try {
      const base = instance.baseUrl;
      const users = await parallel(USERS, 50, (i) => http(base, 'POST', '/api/v1/users', { name: `u${i}` }));
      const coupon = await http(base, 'POST', '/api/v1/admin/coupons', couponBody(COUPONS), ADMIN);
      const answers = await parallel(USERS, 200, (i) =>
        http(base, 'POST', '/api/v1/coupons/issue', { couponId: coupon.body.id, userId: users[i]!.body.userId }),
      );
      expect(tally(answers)).toEqual({ '201': COUPONS, '409 COUPON_SOLD_OUT': USERS - COUPONS });
    } finally {
      await instance.stop();
    }
    // Count in the data the instance left behind.
    const db = await PGlite.create({ dataDir: path.join(dataDir, 'pglite') });
    try {
      const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM coupon_issues');
      const counter = await db.query<{ n: number }>('SELECT issued_quantity AS n FROM coupons');
      expect(rows.rows[0]!.n).toBe(COUPONS);
      expect(counter.rows[0]!.n).toBe(COUPONS);
    } finally {
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
