import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where server-backed tests run; each test file gets its own database on it. */
export const SERVER_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** True when this vitest project runs the module tests against the PostgreSQL server. */
export const onServer = process.env['TEST_DB'] === 'postgres';

/**
 * The suffix of a test that sends requests at once. On the server they truly race over a pool of
 * connections; PGlite has one connection and runs them one after another, so there the same test
 * only checks the outcome and must not be counted as race coverage.
 */
export const atOnce = onServer ? 'race: PostgreSQL server' : 'functional: PGlite has one connection';

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface ServerDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on the PostgreSQL server, dropped (with its connections) by `drop`. */
export async function createServerDatabase(): Promise<ServerDatabase> {
  const name = `test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  try {
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
  } catch (err) {
    throw new Error(
      `cannot create a test database on ${SERVER_URL} (is PostgreSQL running? set TEST_DATABASE_URL): ${(err as Error).message}`,
    );
  }
  return {
    url: withDatabase(SERVER_URL, name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
