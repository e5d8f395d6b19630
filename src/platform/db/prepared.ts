import { getTableName, type SQL } from 'drizzle-orm';
import { PgDialect, type PgColumn, type PgTable } from 'drizzle-orm/pg-core';
import { lookupsOf, type Db } from './db.js';
import { int8AsNumber } from './int8.js';
import { LOOKUPS_IN_FLIGHT } from './lookups.js';
import { Batcher, type Done } from '../../shared/batcher.js';

/**
 * Something built once per database handle: a prepared statement (so hot reads skip Drizzle's
 * query building and PostgreSQL's parse and plan), or a batcher over one. Use it with the root
 * handle: a transaction is another handle and would get its own.
 */
export function perDatabase<P>(build: (db: Db) => P): (db: Db) => P {
  const cache = new WeakMap<Db, P>();
  return (db) => {
    let p = cache.get(db);
    if (!p) {
      p = build(db);
      cache.set(db, p);
    }
    return p;
  };
}

/** A read by primary key (batchedById): the row, or undefined when no row has that id. */
export interface ByIdLookup<R> {
  load(db: Db, id: number): Promise<R | undefined>;
  /** `load` answering a callback, `done(null, row)` or `done(error)`: no promise per caller. */
  loadWith(db: Db, id: number, done: Done<R | undefined>): void;
}

/**
 * A read by primary key for the hot routes (a product with its stock, a balance): the lookups asked
 * in the same tick share one execution, each caller gets its own row, or undefined. The statement
 * probes the key once per id (`unnest` then a `LIMIT 1` lateral read, which the planner cannot turn
 * into a scan of the table), so its cost follows the batch, not the table; it runs on the
 * database's lookup connections (lookups.ts). At most {@link LOOKUPS_IN_FLIGHT} executions run at
 * once; lookups asked meanwhile leave together in the next. Each answer still comes from a
 * statement that started after it was asked. Root handle only.
 */
export function batchedById<C extends Record<string, PgColumn>>(
  name: string,
  table: PgTable,
  columns: C & { id: PgColumn },
): ByIdLookup<{ [K in keyof C]: C[K]['_']['data'] }> {
  type Row = { [K in keyof C]: C[K]['_']['data'] };
  const keys = Object.keys(columns) as Array<keyof C & string>;
  const names = keys.map((k) => `"${columns[k]!.name}"`).join(', ');
  const text =
    `SELECT t.* FROM unnest($1::bigint[]) AS wanted(id) ` +
    `CROSS JOIN LATERAL (SELECT ${names} FROM "${getTableName(table)}" WHERE "${columns.id.name}" = wanted.id LIMIT 1) t`;
  const decoders = keys.map((k) => decoderOf(columns[k]!));
  const batcherFor = perDatabase((db) => {
    const lookups = lookupsOf(db);
    return new Batcher<number, Row | undefined>(
      async (ids) => {
        const found = new Map<number, Row>();
        for (const values of await lookups.rows(name, text, [`{${ids.join(',')}}`])) {
          const row = {} as Record<string, unknown>;
          for (let i = 0; i < keys.length; i++) row[keys[i]!] = decoders[i]!(values[i]!);
          found.set(row['id'] as number, row as Row);
        }
        return found;
      },
      undefined,
      { maxInFlight: LOOKUPS_IN_FLIGHT },
    );
  });
  return {
    load: (db, id) => batcherFor(db).get(id),
    loadWith: (db, id, done) => batcherFor(db).getWith(id, done),
  };
}

/**
 * How a lookup reads a column's text: integers as numbers (int8AsNumber), text as it is. Only NOT
 * NULL number and string columns: the hot reads need no more, and anything else is refused when
 * the lookup is made, not misread at run time.
 */
function decoderOf(column: PgColumn): (text: string) => unknown {
  if (!column.notNull) throw new Error(`batchedById reads NOT NULL columns; ${column.name} may be null`);
  if (column.dataType === 'number') return int8AsNumber;
  if (column.dataType === 'string') return (text) => text;
  throw new Error(`batchedById reads number and string columns, not ${column.columnType} (${column.name})`);
}

const dialect = new PgDialect();

/**
 * A raw SQL statement with named placeholders (`sql.placeholder('x')`), prepared once per
 * connection under `name`: the database parses and plans it once, not on every call. Works on the
 * root handle and inside a transaction alike.
 */
export function rawStatement<R, P extends Record<string, unknown>>(name: string, query: SQL): (db: Db, params: P) => Promise<R[]> {
  const built = dialect.sqlToQuery(query);
  return async (db, params) => {
    const result = (await db._.session.prepareQuery(built, undefined, name, false).execute(params)) as { rows: R[] };
    return result.rows;
  };
}
