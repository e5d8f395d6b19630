import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_FAILURES_ALLOWED } from '../src/platform/http/admin-auth.js';
import { ADMIN_TOKEN, adminAuth, api, call, createTestApp, type TestApp } from './helpers/app.js';
import { createServerDatabase, REDIS_URL, type ServerDatabase } from './helpers/databases.js';
import { http, startInstance, type Instance } from './helpers/instances.js';
import { deleteKeysUnder } from './helpers/redis-keys.js';

const wrong = { authorization: 'Bearer wrong-token-0123456789' };
const product = { name: 'Lamp', price: 1_000, stock: 1 };

describe('admin guessing, one instance', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers 429 RATE_LIMITED with Retry-After once an address has failed too often, and never blocks the right token', async () => {
    for (let i = 0; i < ADMIN_FAILURES_ALLOWED; i++) {
      expect((await call(t.app, 'POST', api('/admin/products'), product, wrong)).status).toBe(401);
    }
    const refused = await call(t.app, 'POST', api('/admin/products'), product, wrong);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ code: 'RATE_LIMITED', message: expect.stringMatching(/retry/) });
    expect(Number(refused.res.headers['retry-after'])).toBeGreaterThan(0);
    // No token at all is a failure too.
    expect((await call(t.app, 'PATCH', api('/admin/products/1'), { stock: 1 })).status).toBe(429);
    expect((await call(t.app, 'POST', api('/admin/products'), product, adminAuth)).status).toBe(201);
    // Another address is not affected.
    const other = await t.app.inject({ method: 'POST', url: api('/admin/products'), payload: product, headers: wrong, remoteAddress: '10.9.8.7' });
    expect(other.statusCode).toBe(401);
  });
});

// Two real processes sharing PostgreSQL and Redis: failures on one count on the other.
describe('admin guessing across instances', () => {
  let db: ServerDatabase;
  let instances: Instance[] = [];
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  beforeAll(async () => {
    db = await createServerDatabase();
    const env = { DATABASE_URL: db.url, REDIS_URL, REDIS_PREFIX: prefix, ADMIN_TOKEN, SEED_DEMO: 'false' };
    instances = [await startInstance(env)];
    instances.push(await startInstance(env));
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    const redis = new Redis(REDIS_URL);
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
    await db.drop();
  });

  it('shares the count of failures through Redis', async () => {
    const [a, b] = instances as [Instance, Instance];
    const statuses: number[] = [];
    for (let i = 0; i < ADMIN_FAILURES_ALLOWED; i++) {
      statuses.push((await http((i % 2 ? a : b).baseUrl, 'POST', api('/admin/products'), product, wrong)).status);
    }
    expect(statuses.every((s) => s === 401)).toBe(true);
    expect(await http(a.baseUrl, 'POST', api('/admin/products'), product, wrong)).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
    expect(await http(b.baseUrl, 'POST', api('/admin/products'), product, wrong)).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
    expect((await http(b.baseUrl, 'POST', api('/admin/products'), product, adminAuth)).status).toBe(201);
  });
});
