import { randomBytes } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/platform/db/db.js';
import { runMigrations } from '../../src/platform/db/migrate.js';
import { openRedis, type RedisHandle } from '../../src/platform/redis/redis.js';
import { createServerDatabase, onServer } from './databases.js';
import { deleteKeysUnder } from './redis-keys.js';

export const ADMIN_TOKEN = 'test-admin-token';
export const adminAuth = { authorization: `Bearer ${ADMIN_TOKEN}` };

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  config: Config;
  redis: RedisHandle | undefined;
  redisPrefix: string;
  /** Database URL when on the server (for more instances or direct checks). */
  url: string | undefined;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Force the backend; by default the vitest project decides (TEST_DB). */
  backend?: 'pglite' | 'postgres';
  redisUrl?: string;
}

/** A migrated, empty database (PGlite in memory, or a fresh one on the server) with the app on it. */
export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const backend = opts.backend ?? (onServer ? 'postgres' : 'pglite');
  const server = backend === 'postgres' ? await createServerDatabase() : undefined;
  const config = loadConfig({ ADMIN_TOKEN, LOG_LEVEL: 'silent', SEED_DEMO: 'false', ...opts.env });
  const database = await openDatabase({ url: server?.url, poolSize: 30 });
  await runMigrations(database, server?.url);
  // A prefix of its own, so test files sharing the Redis server never see each other's keys.
  const redisPrefix = `test:${randomBytes(6).toString('hex')}:`;
  const redis = opts.redisUrl ? openRedis(opts.redisUrl, { keyPrefix: redisPrefix }) : undefined;
  // Commands are not queued while the client connects (they fail, and the gate then steps aside):
  // a test of the Redis gate must start with Redis ready. An unreachable one errs at once.
  if (redis && !redis.isUp()) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5_000);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      redis.client.once('ready', done);
      redis.client.once('error', done);
    });
  }
  const app = await buildApp({ config, database, redis });
  await app.ready();
  return {
    app,
    database,
    config,
    redis,
    redisPrefix,
    url: server?.url,
    close: async () => {
      try {
        await app.close();
        if (redis?.isUp()) await deleteKeysUnder(redis.client, redisPrefix);
        await redis?.close();
        // A test may have closed the database on purpose already.
        await database.close().catch(() => {});
      } finally {
        await server?.drop();
      }
    },
  };
}

/** Sends a request and returns status and parsed JSON body. */
export async function call<T = any>(
  app: FastifyInstance,
  method: InjectOptions['method'],
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; res: LightMyRequestResponse }> {
  const res = await app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }),
  });
  const text = res.body;
  return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T, res };
}

export const api = (path: string) => `/api/v1${path}`;

/** Creates a user and returns its id. */
export async function newUser(app: FastifyInstance, name = 'tester'): Promise<number> {
  const { status, body } = await call(app, 'POST', api('/users'), { name });
  if (status !== 201) throw new Error(`user not created: ${status} ${JSON.stringify(body)}`);
  return body.userId as number;
}

/** Creates a product through the admin API and returns it. */
export async function newProduct(app: FastifyInstance, p: { name?: string; price?: number; stock?: number } = {}) {
  const { status, body } = await call(app, 'POST', api('/admin/products'), { name: 'item', price: 1_000, stock: 10, ...p }, adminAuth);
  if (status !== 201) throw new Error(`product not created: ${status} ${JSON.stringify(body)}`);
  return body as { id: number; name: string; price: number; stock: number };
}

export const HOUR = 3_600_000;

/** The body of a FIXED 1,000 coupon of `totalQuantity`, open for issuing for the hour around now (a unique code per call). */
export function openCouponBody(name: string, totalQuantity: number) {
  return {
    name,
    code: `${name.slice(0, 2).toUpperCase()}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`,
    discountType: 'FIXED',
    discountValue: 1_000,
    totalQuantity,
    issueStartAt: new Date(Date.now() - HOUR).toISOString(),
    issueEndAt: new Date(Date.now() + HOUR).toISOString(),
    validityDays: 7,
  };
}

/** Defines a coupon through the admin API (open for issuing now unless told otherwise) and returns it. */
export async function newCoupon(app: FastifyInstance, c: Record<string, unknown> = {}) {
  const body = {
    name: 'Welcome 10%',
    code: `C${randomBytes(5).toString('hex')}`,
    discountType: 'PERCENTAGE',
    discountValue: 10,
    minimumOrderAmount: 0,
    maxDiscountAmount: 5_000,
    totalQuantity: 100,
    issueStartAt: new Date(Date.now() - HOUR).toISOString(),
    issueEndAt: new Date(Date.now() + 24 * HOUR).toISOString(),
    validityDays: 7,
    ...c,
  };
  const { status, body: coupon } = await call(app, 'POST', api('/admin/coupons'), body, adminAuth);
  if (status !== 201) throw new Error(`coupon not created: ${status} ${JSON.stringify(coupon)}`);
  return coupon as { id: number; totalQuantity: number; code: string };
}
