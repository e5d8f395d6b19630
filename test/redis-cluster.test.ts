import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedis, type RedisHandle } from '../src/platform/redis/redis.js';
import { ADMIN_TOKEN, adminAuth, openCouponBody } from './helpers/app.js';
import { createServerDatabase, type ServerDatabase } from './helpers/databases.js';
import { http, startInstance, type Instance } from './helpers/instances.js';
import { parallel, tally } from './helpers/parallel.js';
import { PrivateRedisCluster } from './helpers/redis-cluster.js';

const USERS = 1_000;
const TOP5 = '/api/v1/products/popular/top5';

const couponBody = (totalQuantity: number) => openCouponBody('Cluster', totalQuantity);

// The service, unchanged, against a private 3-master Redis Cluster (REDIS_CLUSTER_NODES).
describe('two instances on a Redis Cluster of three masters', { timeout: 240_000 }, () => {
  let redis: PrivateRedisCluster;
  let db: ServerDatabase;
  let sql: pg.Pool;
  let instances: Instance[] = [];
  let client: RedisHandle;
  let userIds: number[] = [];
  let keyPrefix = '';

  beforeAll(async () => {
    redis = await PrivateRedisCluster.start(3);
    db = await createServerDatabase();
    // Coupons above 60 in total keep a count, at most 60 a holder set: both kinds of gate state run here.
    const env = {
      DATABASE_URL: db.url,
      ADMIN_TOKEN,
      SEED_DEMO: 'false',
      REDIS_CLUSTER_NODES: redis.nodes,
      REDIS_PREFIX: 'cluster-test:',
      POPULAR_REFRESH_SECONDS: '3600',
      COUPON_HOLDER_SET_MAX: '60',
    };
    instances = await Promise.all([startInstance(env), startInstance(env)]);
    sql = new pg.Pool({ connectionString: db.url, max: 2 });
    const { rows } = await sql.query(`INSERT INTO users (name) SELECT 'user ' || g FROM generate_series(1, ${USERS}) g RETURNING id`);
    userIds = rows.map((r) => Number(r.id));
    const dbId = (await sql.query(`SELECT value FROM app_meta WHERE key = 'database_id'`)).rows[0].value as string;
    keyPrefix = `cluster-test:${dbId.slice(0, 8)}:`;
    client = openRedis({ clusterNodes: redis.ports.map((port) => ({ host: '127.0.0.1', port })) });
  }, 180_000);

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await client?.close();
    await sql?.end();
    await db?.drop();
    await redis?.stop();
  });

  const issue = (i: number, couponId: number, userId: number) =>
    http(instances[i % instances.length]!.baseUrl, 'POST', '/api/v1/coupons/issue', { couponId, userId });

  async function issuedRows(couponId: number) {
    const { rows } = await sql.query(
      'SELECT count(*)::int AS n, count(DISTINCT user_id)::int AS users, (SELECT issued_quantity FROM coupons WHERE id = $1) AS counter FROM coupon_issues WHERE coupon_id = $1',
      [couponId],
    );
    return rows[0];
  }

  it('is ready with Redis up on both instances', async () => {
    for (const instance of instances) {
      expect(await http(instance.baseUrl, 'GET', '/ready')).toMatchObject({ status: 200, body: { checks: { redis: 'up' } } });
    }
  });

  it.each([
    ['a holder set (total 50)', 50],
    ['a holder count (total 100)', 100],
  ])('issues exactly the total once per user through a gate keeping %s', async (_label, total) => {
    const coupon = await http(instances[0]!.baseUrl, 'POST', '/api/v1/admin/coupons', couponBody(total), adminAuth);
    expect(coupon.status).toBe(201);
    const id = coupon.body.id as number;
    // Every user asks; the first 100 ask a second time, on the other instance.
    const asks = [...userIds, ...userIds.slice(0, 100)];
    const answers = await parallel(asks.length, 60, (i) => issue(i, id, asks[i]!));
    const counts = tally(answers);
    expect(counts['201']).toBe(total);
    expect(Object.keys(counts).every((k) => ['201', '409 COUPON_SOLD_OUT', '409 COUPON_ALREADY_ISSUED'].includes(k))).toBe(true);
    expect(await issuedRows(id)).toEqual({ n: total, users: total, counter: total });
    const winners = answers.filter((a) => a.status === 201).map((a) => a.body.userId as number);
    expect(new Set(winners).size).toBe(total);
    // Afterwards a winner hears ALREADY_ISSUED on both instances.
    for (const i of [0, 1]) expect((await issue(i, id, winners[0]!)).body.code).toBe('COUPON_ALREADY_ISSUED');

    // The gate's state lives in the cluster, all of one coupon on one node (one slot).
    const names = total > 60 ? ['count', 'soldout'] : ['issued', 'soldout'];
    const ports = await Promise.all(names.map((n) => redis.portOf(`${keyPrefix}coupon:{${id}}:${n}`)));
    expect(new Set(ports).size).toBe(1);
    for (const n of names) expect(await client.client.exists(`${keyPrefix}coupon:{${id}}:${n}`)).toBe(1);
    expect(await client.client.exists(`${keyPrefix}coupon:{${id}}:${total > 60 ? 'issued' : 'count'}`)).toBe(0);
  });

  it('spreads coupons over more than one master (the cluster is really used)', async () => {
    const ports = new Set<number>();
    for (let id = 1; id <= 12; id++) ports.add(await redis.portOf(`${keyPrefix}coupon:{${id}}:issued`));
    expect(ports.size).toBeGreaterThan(1);
  });

  it('broadcasts a new popular ranking from one instance to the other', async () => {
    await sql.query(`INSERT INTO products (name, price, stock) SELECT 'p' || g, 1000 * g, 10 FROM generate_series(1, 3) g`);
    await sql.query(`
      WITH o AS (
        INSERT INTO orders (order_number, user_id, status, item_amount, shipping_amount, discount_amount, payment_amount, hold_until, paid_at)
        SELECT 'O' || g, ${userIds[0]}, 'PAID', 1000 * g * g, 0, 0, 1000 * g * g, now(), now() - interval '1 day' FROM generate_series(1, 3) g
        RETURNING id, substr(order_number, 2)::int AS g)
      INSERT INTO order_items (order_id, product_id, product_name, unit_price, quantity, amount)
      SELECT o.id, p.id, p.name, p.price, o.g, p.price * o.g FROM o JOIN products p ON p.name = 'p' || o.g`);
    const ran = await http(instances[0]!.baseUrl, 'POST', '/api/v1/admin/batch/popular-products', {}, adminAuth);
    expect(ran.status).toBe(200);
    expect(ran.body.ranking).toHaveLength(3);
    // The periodic re-read is an hour away: only the message through the cluster brings it.
    const deadline = Date.now() + 5_000;
    let etag = '';
    while (Date.now() < deadline && !etag.startsWith(`"${ran.body.runId}-`)) {
      etag = (await fetch(instances[1]!.baseUrl + TOP5)).headers.get('etag') ?? '';
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(etag.startsWith(`"${ran.body.runId}-`)).toBe(true);
    expect((await http(instances[1]!.baseUrl, 'GET', TOP5)).body).toEqual(ran.body.ranking);
  });

  it('throttles wrong admin tokens across instances through the cluster', async () => {
    const wrong = { authorization: 'Bearer not-the-token-at-all' };
    const answers = await parallel(14, 1, (i) => http(instances[i % 2]!.baseUrl, 'POST', '/api/v1/admin/coupons', couponBody(1), wrong));
    // 10 failures per address are allowed in all (shared in Redis), then 429.
    expect(tally(answers)).toEqual({ '401 UNAUTHORIZED': 10, '429 RATE_LIMITED': 4 });
  });
});
