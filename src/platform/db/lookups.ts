import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { openPool } from './pg-pool.js';

/**
 * Executions of one batched lookup in flight at once (and so the connections a PostgreSQL
 * instance keeps for lookups). Unbounded (one per tick), a read under wrk sent many small
 * statements at once, which PostgreSQL's backends then ran side by side on the same cores as the
 * service: 0.62 of the bare route (median of 8 alternated rounds), p99 25–400 ms. One: 0.78 (each
 * batch waits for the round trip of the one before). Two was the best while each execution went
 * through pg's own query path; with {@link LookupQuery} the event loop of a service reading by id
 * under wrk with two in flight was idle 16–30 % of the time (`eventLoopUtilization` 0.70–0.84,
 * the bare route's 0.85–0.97): every request was waiting in one of the two statements. Four, in
 * three runs of `bench/wrk-ab.ts` (8–10 alternated rounds each, ratio to the bare route, median):
 * over 1,000 ids 0.86 → 0.93, 0.80 → 1.04 (three: 0.96, six: 0.96); one id 1.04 → 1.28; p99 alike.
 * In the slowest phases (10 s rounds), two and four were within the noise: the machine, not the
 * round trip, was the limit there, and four's smaller batches cost more CPU a request
 * (docs/benchmarks.md, "Four lookups in flight").
 */
export const LOOKUPS_IN_FLIGHT = 4;

/** A row as PostgreSQL wrote it: each column's text, in the statement's order (null for NULL). */
export type TextRow = Array<string | null>;

/**
 * Reads by primary key: the hot reads (a product with its stock, a balance) as one statement per
 * batch of ids. Parameters go as text and rows come back as text: the caller knows its columns
 * and decodes them itself, so nothing generic runs per row.
 */
export interface Lookups {
  rows(name: string, text: string, values: Array<string | null>): Promise<TextRow[]>;
  close(): Promise<void>;
}

/**
 * Lookups on PostgreSQL get connections of their own, {@link LOOKUPS_IN_FLIGHT} at most, so a batch
 * never queues behind an order's transaction for a pooled connection, and they plan once:
 * `plan_cache_mode = force_generic_plan`. A lookup's statement probes the primary key once per id,
 * whatever the ids, so its generic plan is the right one; left to choose, PostgreSQL re-plans an
 * `id = ANY($1)` statement on every execution (a custom plan per array, never switching to the
 * generic one), and on a small table the custom plan is a sequential scan. Measured under wrk
 * (`docs/benchmarks.md`): the product read over 1,000 ids, median of 8 alternated rounds against
 * the shared pool and `id = ANY($1)`: 22,444 → 27,186 requests/s.
 *
 * Each execution is a {@link LookupQuery}: bind, execute and sync in one write, rows kept as the
 * protocol parsed them.
 *
 * A lost connection fails its lookup (answered 503 like any other) and leaves the pool; the next
 * lookup opens a new one.
 */
export function postgresLookups(connectionString: string, applicationName: string): Lookups {
  const pool = openPool(connectionString, LOOKUPS_IN_FLIGHT, `${applicationName}-lookups`, ['plan_cache_mode=force_generic_plan']);
  return {
    rows: (name, text, values) =>
      new Promise((resolve, reject) => {
        pool.connect((connectError, client, release) => {
          if (connectError || !client) return reject(connectError ?? new Error('no lookup connection'));
          client.query(
            new LookupQuery(name, text, values, (err, rows) => {
              // As pg's own pool.query: a connection whose statement failed is not reused.
              release(err);
              if (err) reject(err);
              else resolve(rows!);
            }),
          );
        });
      }),
    close: () => pool.end(),
  };
}

/** The part of pg's connection a {@link LookupQuery} writes to (pg/lib/connection.js). */
interface ProtocolConnection {
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  stream: { cork?: () => void; uncork?: () => void };
  parse(config: { name: string; text: string; types: number[] }): void;
  bind(config: { statement: string; values: Array<string | null> }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
  sendCopyFail(message: string): void;
}

/**
 * One execution of a named statement through pg's extension point for queries (a "submittable",
 * as pg-cursor is): the statement is parsed once per connection, then each execution writes bind,
 * execute and sync together. pg's own Query also asks PostgreSQL to describe the result every
 * time and turns each row into values through per-column parsers; a lookup knows its columns, so
 * it skips the description and keeps each row's text as the protocol parser read it. Measured in
 * a CPU profile of the product read under wrk: pg's query, result and value handling were ~5 % of
 * the service's busy time.
 */
export class LookupQuery implements pg.Submittable {
  private readonly found: TextRow[] = [];
  private done: ((err: Error | undefined, rows?: TextRow[]) => void) | undefined;

  constructor(
    readonly name: string,
    readonly text: string,
    private readonly values: Array<string | null>,
    callback: (err: Error | undefined, rows?: TextRow[]) => void,
  ) {
    this.done = callback;
  }

  submit(pgConnection: pg.Connection): Error | null {
    const connection = pgConnection as unknown as ProtocolConnection;
    const previous = connection.parsedStatements[this.name] ?? connection.submittedNamedStatements[this.name];
    if (previous !== undefined && previous !== this.text) return new Error(`The lookup statement '${this.name}' was prepared with another text`);
    connection.stream.cork?.();
    try {
      if (previous === undefined) {
        connection.parse({ name: this.name, text: this.text, types: [] });
        connection.submittedNamedStatements[this.name] = this.text;
      }
      connection.bind({ statement: this.name, values: this.values });
      connection.execute({ portal: '', rows: 0 });
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  handleDataRow(msg: { fields: TextRow }): void {
    this.found.push(msg.fields);
  }

  handleReadyForQuery(): void {
    this.finish(undefined, this.found);
  }

  handleError(err: Error): void {
    this.finish(err);
  }

  // The messages a lookup expects nothing from (no description was asked for; no COPY can start).
  handleRowDescription(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(connection: ProtocolConnection): void {
    connection.sendCopyFail('a lookup reads no COPY');
  }
  handleCopyData(): void {}

  private finish(err: Error | undefined, rows?: TextRow[]): void {
    const done = this.done;
    this.done = undefined;
    done?.(err, rows);
  }
}

/** The text PGlite received for these types, kept as it is (PGlite parses them by default). */
const AS_TEXT = [16, 20, 21, 23, 26, 114, 700, 701, 1082, 1114, 1184, 1700, 3802];
const keepText = Object.fromEntries(AS_TEXT.map((oid) => [oid, (v: string) => v]));

/** The embedded database has one connection: lookups share it (nothing of their own to close). */
export function pgliteLookups(client: PGlite): Lookups {
  return {
    rows: async (_name, text, values) => (await client.query<TextRow>(text, values, { rowMode: 'array', parsers: keepText })).rows,
    close: async () => {},
  };
}
