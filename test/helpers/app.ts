import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/platform/db/db.js';
import { runMigrations } from '../../src/platform/db/migrate.js';
import { openRedis, type RedisHandle } from '../../src/platform/redis/redis.js';
import { createServerDatabase, onServer } from './databases.js';

export const ADMIN_TOKEN = 'test-admin-token';
export const adminAuth = { authorization: `Bearer ${ADMIN_TOKEN}` };

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  config: Config;
  redis: RedisHandle | undefined;
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
  const redis = opts.redisUrl ? openRedis(opts.redisUrl) : undefined;
  const app = await buildApp({ config, database, redis });
  await app.ready();
  return {
    app,
    database,
    config,
    redis,
    url: server?.url,
    close: async () => {
      await app.close();
      await redis?.close();
      await database.close();
      await server?.drop();
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
