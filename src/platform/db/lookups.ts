import type { PGlite } from '@electric-sql/pglite';
import { int8AsNumber } from './int8.js';
import { openPool } from './pg-pool.js';

/**
 * Executions of one batched lookup in flight at once (and so the connections a PostgreSQL
 * instance keeps for lookups). Unbounded (one per tick), a read under wrk sent many small
 * statements at once, which PostgreSQL's backends then ran side by side on the same cores as the
 * service: 0.62 of the bare route (median of 8 alternated rounds), p99 25–400 ms. Two: 0.85,
 * p99 6–23 ms; one: 0.78 (each batch waits for the round trip of the one before).
 */
export const LOOKUPS_IN_FLIGHT = 2;

/**
 * Reads by primary key: the hot reads (a product with its stock, a balance) as one statement per
 * batch of ids, answering rows as arrays in the statement's column order.
 */
export interface Lookups {
  rows(name: string, text: string, values: unknown[]): Promise<unknown[][]>;
  close(): Promise<void>;
}

/**
 * Lookups on PostgreSQL get connections of their own, {@link LOOKUPS_IN_FLIGHT} at most, so a batch
 * never queues behind an order's transaction for a pooled connection, and they plan once:
 * `plan_cache_mode = force_generic_plan`. A lookup's statement probes the primary key once per id,
 * whatever the ids, so its generic plan is the right one; left to choose, PostgreSQL re-plans an
 * `id = ANY($1)` statement on every execution (a custom plan per array, never switching to the
 * generic one), and on a small table the custom plan is a sequential scan. Rows come back as
 * arrays, not objects keyed by column name. Measured under wrk (`docs/benchmarks.md`): the product
 * read over 1,000 ids, median of 8 alternated rounds against the shared pool and
 * `id = ANY($1)`: 22,444 → 27,186 requests/s.
 *
 * A lost connection fails its lookup (answered 503 like any other) and leaves the pool; the next
 * lookup opens a new one.
 */
export function postgresLookups(connectionString: string, applicationName: string): Lookups {
  const pool = openPool(connectionString, LOOKUPS_IN_FLIGHT, `${applicationName}-lookups`, ['plan_cache_mode=force_generic_plan']);
  return {
    rows: async (name, text, values) => (await pool.query<unknown[]>({ name, text, values, rowMode: 'array' })).rows,
    close: () => pool.end(),
  };
}

/** The embedded database has one connection: lookups share it (nothing of their own to close); int8 is read as a number, as on the server. */
export function pgliteLookups(client: PGlite): Lookups {
  return {
    rows: async (_name, text, values) => (await client.query<unknown[]>(text, values, { rowMode: 'array', parsers: { 20: int8AsNumber } })).rows,
    close: async () => {},
  };
}
