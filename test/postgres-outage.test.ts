import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { REDIS_URL } from './helpers/databases.js';
import { deleteKeysUnder } from './helpers/redis-keys.js';
import { http, startInstance, type Instance } from './helpers/instances.js';
import { startPrivatePostgres, type PrivatePostgres } from './helpers/private-postgres.js';
import { until } from './helpers/until.js';

const TOKEN = 'outage-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const HOUR = 3_600_000;

async function raw(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: text ? JSON.parse(text) : undefined };
}

// A real app process on a PostgreSQL server of the test's own, which the test stops and starts.
describe('PostgreSQL away and back (race: PostgreSQL server)', () => {
  let pgp: PrivatePostgres;
  let app: Instance;
  let base: string;
  const ids = { product: 0, rich: 0, poor: 0, coupon: 0, paidOrder: 0, unpaidOrder: 0 };

  const redisPrefix = `outage-${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    pgp = await startPrivatePostgres();
    app = await startInstance({
      DATABASE_URL: pgp.url,
      REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      ADMIN_TOKEN: TOKEN,
      SEED_DEMO: 'false',
      DB_POOL_SIZE: '10',
    });
    base = app.baseUrl;
    const product = await http(base, 'POST', '/api/v1/admin/products', { name: 'lamp', price: 10_000, stock: 100 }, auth);
    const coupon = await http(
      base,
      'POST',
      '/api/v1/admin/coupons',
      {
        name: 'ten', code: `OUT${randomBytes(4).toString('hex')}`, discountType: 'FIXED', discountValue: 1_000, minimumOrderAmount: 0,
        totalQuantity: 10, issueStartAt: new Date(Date.now() - HOUR).toISOString(), issueEndAt: new Date(Date.now() + HOUR).toISOString(), validityDays: 7,
      },
      auth,
    );
    const rich = await http(base, 'POST', '/api/v1/users', { name: 'rich' });
    const poor = await http(base, 'POST', '/api/v1/users', { name: 'poor' });
    ids.product = product.body.id;
    ids.coupon = coupon.body.id;
    ids.rich = rich.body.userId;
    ids.poor = poor.body.userId;
    expect((await http(base, 'PUT', `/api/v1/users/${ids.rich}/balance`, { amount: 500_000 })).status).toBe(200);
    const paid = await http(base, 'POST', '/api/v1/orders', { userId: ids.rich, products: [{ productId: ids.product, quantity: 1 }] });
    const unpaid = await http(base, 'POST', '/api/v1/orders', { userId: ids.poor, products: [{ productId: ids.product, quantity: 1 }] });
    expect([paid.status, unpaid.status]).toEqual([201, 402]);
    ids.paidOrder = paid.body.orderId;
    ids.unpaidOrder = unpaid.body.details.orderId;
  });

  afterAll(async () => {
    await app?.stop();
    await pgp?.destroy();
    const redis = new Redis(REDIS_URL);
    await deleteKeysUnder(redis, redisPrefix);
    redis.disconnect();
  });

  // Every route that needs the database, with a body it would otherwise accept.
  const routes = (): Array<[string, string, unknown?, Record<string, string>?]> => [
    ['GET', `/api/v1/products/${ids.product}`],
    ['GET', '/api/v1/products?limit=5'],
    ['GET', `/api/v1/users/${ids.rich}/balance`],
    ['GET', `/api/v1/users/${ids.rich}/balance/history`],
    ['PUT', `/api/v1/users/${ids.rich}/balance`, { amount: 1 }],
    ['PUT', `/api/v1/users/${ids.rich}/balance`, { amount: 1 }, { 'idempotency-key': `k-${randomBytes(4).toString('hex')}` }],
    ['POST', '/api/v1/users', { name: 'newcomer' }],
    ['POST', '/api/v1/coupons/issue', { couponId: ids.coupon, userId: ids.rich }],
    ['GET', `/api/v1/users/${ids.rich}/coupons`],
    ['POST', '/api/v1/orders', { userId: ids.rich, products: [{ productId: ids.product, quantity: 1 }] }],
    ['POST', '/api/v1/orders', { userId: ids.rich, products: [{ productId: ids.product, quantity: 1 }] }, { 'idempotency-key': `o-${randomBytes(4).toString('hex')}` }],
    ['POST', '/api/v1/payments', { orderId: ids.unpaidOrder }],
    ['GET', `/api/v1/orders/${ids.paidOrder}`],
    ['GET', `/api/v1/users/${ids.rich}/orders`],
    ['POST', '/api/v1/admin/products', { name: 'late', price: 1, stock: 1 }, auth],
    ['PATCH', `/api/v1/admin/products/${ids.product}`, { stockDelta: 1 }, auth],
    ['POST', '/api/v1/admin/batch/popular-products', {}, auth],
  ];

  async function facts(): Promise<{ balance: number; ledger: number; orders: number; stock: number; issues: number; users: number }> {
    const c = new pg.Client({ connectionString: pgp.url });
    await c.connect();
    try {
      const { rows } = await c.query(
        `SELECT (SELECT balance FROM users WHERE id = $1)::int AS balance, (SELECT count(*) FROM balance_history)::int AS ledger,
                (SELECT count(*) FROM orders)::int AS orders, (SELECT stock FROM products WHERE id = $2)::int AS stock,
                (SELECT count(*) FROM coupon_issues)::int AS issues, (SELECT count(*) FROM users)::int AS users`,
        [ids.rich, ids.product],
      );
      return rows[0];
    } finally {
      await c.end();
    }
  }

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After on every database route while PostgreSQL is down, /ready says so, and recovers by itself', async () => {
    const before = await facts();
    await pgp.stop('immediate');
    // Twice over: the first round meets pooled connections that just died, the second refused connects.
    for (let round = 0; round < 2; round++) {
      for (const [method, path, body, headers] of routes()) {
        const a = await raw(base, method, path, body, headers);
        expect({ route: `${method} ${path}`, status: a.status, code: a.body?.code }).toEqual({ route: `${method} ${path}`, status: 503, code: 'SERVICE_UNAVAILABLE' });
        expect(a.retryAfter, `${method} ${path}`).toMatch(/^[1-9][0-9]*$/);
      }
    }
    expect(await raw(base, 'GET', '/ready')).toMatchObject({ status: 503, body: { checks: { database: 'down' } } });
    expect((await raw(base, 'GET', '/health')).status).toBe(200);

    await pgp.start();
    await until('ready again', () => raw(base, 'GET', '/ready'), (a) => a.status === 200);
    // Nothing that was answered 503 happened.
    expect(await facts()).toEqual(before);
    expect((await raw(base, 'PUT', `/api/v1/users/${ids.rich}/balance`, { amount: 7 })).status).toBe(200);
    expect((await raw(base, 'POST', '/api/v1/coupons/issue', { couponId: ids.coupon, userId: ids.rich })).status).toBe(201);
    expect((await raw(base, 'POST', '/api/v1/orders', { userId: ids.rich, products: [{ productId: ids.product, quantity: 1 }] })).status).toBe(201);
    expect((await raw(base, 'GET', `/api/v1/products/${ids.product}`)).status).toBe(200);
    expect(app.output()).not.toContain('unexpected failure');
    expect(app.process.exitCode).toBeNull();
  });

  it('rolls back requests whose transactions die with a fast shutdown (57P01), answers them 503, and a retried Idempotency-Key charges once', async () => {
    const before = await facts();
    const holder = new pg.Client({ connectionString: pgp.url });
    holder.on('error', () => {});
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [ids.rich]);
    const key = `fast-${randomBytes(4).toString('hex')}`;
    // Each of these is inside its statement or transaction, waiting for the user's row.
    const inFlight = [
      raw(base, 'PUT', `/api/v1/users/${ids.rich}/balance`, { amount: 11 }),
      raw(base, 'PUT', `/api/v1/users/${ids.rich}/balance`, { amount: 13 }, { 'idempotency-key': key }),
      raw(base, 'POST', '/api/v1/orders', { userId: ids.rich, products: [{ productId: ids.product, quantity: 2 }] }),
      raw(base, 'POST', '/api/v1/orders', { userId: ids.rich, products: [{ productId: ids.product, quantity: 3 }] }, { 'idempotency-key': `${key}-o` }),
    ];
    // Watched from another session: inside the holder's transaction pg_stat_activity is a snapshot.
    const watcher = new pg.Client({ connectionString: pgp.url });
    watcher.on('error', () => {});
    await watcher.connect();
    await until(
      'four requests waiting on the row lock',
      async () => (await watcher.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'`)).rows[0].n as number,
      (n) => n === inFlight.length,
    );
    await watcher.end();
    await pgp.stop('fast');
    const answers = await Promise.all(inFlight);
    for (const a of answers) {
      expect(a).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } });
      expect(a.retryAfter).toMatch(/^[1-9][0-9]*$/);
    }
    await holder.end().catch(() => {});

    await pgp.start();
    await until('ready again', () => raw(base, 'GET', '/ready'), (a) => a.status === 200);
    expect(await facts()).toEqual(before);
    // The key was not used up by the request that died: its retry charges, once.
    const retry = await raw(base, 'PUT', `/api/v1/users/${ids.rich}/balance`, { amount: 13 }, { 'idempotency-key': key });
    const again = await raw(base, 'PUT', `/api/v1/users/${ids.rich}/balance`, { amount: 13 }, { 'idempotency-key': key });
    expect([retry.status, again.status]).toEqual([200, 200]);
    expect(again.body).toEqual(retry.body);
    expect((await facts()).balance).toBe(before.balance + 13);
    expect(app.output()).not.toContain('unexpected failure');
  });
});
