import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import { int8AsNumber } from './int8.js';
import { pgliteLookups, postgresLookups, type Lookups } from './lookups.js';
import { openPool } from './pg-pool.js';

/** A database handle or an open transaction: repositories take either as their first argument. */
export type Db = PgDatabase<PgQueryResultHKT>;

export interface Database {
  readonly db: Db;
  readonly kind: 'pglite' | 'postgres';
  /** Checks the database answers; used by /ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

pg.types.setTypeParser(20, int8AsNumber);

const lookupsByDb = new WeakMap<Db, Lookups>();

/** The lookups (lookups.ts) of a root handle made by {@link openDatabase}. */
export function lookupsOf(db: Db): Lookups {
  const lookups = lookupsByDb.get(db);
  if (!lookups) throw new Error('lookups run on a root handle made by openDatabase, never inside a transaction');
  return lookups;
}

export interface DatabaseOptions {
  url?: string | undefined;
  /** Directory for the embedded database; undefined keeps it in memory. */
  pgliteDir?: string | undefined;
  poolSize?: number;
  applicationName?: string;
}

/** Opens PostgreSQL when a URL is given, else embedded PGlite. */
export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) {
    const pool = openPool(opts.url, opts.poolSize ?? 20, opts.applicationName ?? 'ecommerce');
    const db = drizzlePg(pool) as unknown as Db;
    const lookups = postgresLookups(opts.url, opts.applicationName ?? 'ecommerce');
    lookupsByDb.set(db, lookups);
    return {
      db,
      kind: 'postgres',
      ping: async () => {
        await pool.query('SELECT 1');
      },
      close: async () => {
        await Promise.all([pool.end(), lookups.close()]);
      },
    };
  }
  if (opts.pgliteDir) fs.mkdirSync(path.dirname(opts.pgliteDir), { recursive: true });
  const client = await PGlite.create(opts.pgliteDir ? { dataDir: opts.pgliteDir } : {});
  const db = drizzlePglite(client) as unknown as Db;
  lookupsByDb.set(db, pgliteLookups(client));
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await client.query('SELECT 1');
    },
    close: () => client.close(),
  };
}

/** Runs raw SQL and returns its rows (both drivers answer with `rows`). */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

export { sql };

/** The random identity the migrations gave this database. */
export async function databaseId(db: Db): Promise<string> {
  const [row] = await queryRows<{ value: string }>(db, sql`SELECT value FROM app_meta WHERE key = 'database_id'`);
  if (!row) throw new Error('app_meta has no database_id: migrations incomplete');
  return row.value;
}
