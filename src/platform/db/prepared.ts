import { getTableName, type SQL } from 'drizzle-orm';
import { PgDialect, type PgColumn, type PgTable } from 'drizzle-orm/pg-core';
import { lookupsOf, type Db } from './db.js';
import { LOOKUPS_IN_FLIGHT } from './lookups.js';
import { Batcher } from '../../shared/batcher.js';

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
): (db: Db, id: number) => Promise<{ [K in keyof C]: C[K]['_']['data'] } | undefined> {
  type Row = { [K in keyof C]: C[K]['_']['data'] };
  const keys = Object.keys(columns) as Array<keyof C & string>;
  const names = keys.map((k) => `"${columns[k]!.name}"`).join(', ');
  const text =
    `SELECT t.* FROM unnest($1::bigint[]) AS wanted(id) ` +
    `CROSS JOIN LATERAL (SELECT ${names} FROM "${getTableName(table)}" WHERE "${columns.id.name}" = wanted.id LIMIT 1) t`;
  const idAt = keys.indexOf('id');
  const batcherFor = perDatabase((db) => {
    const lookups = lookupsOf(db);
    return new Batcher<number, Row | undefined>(
      async (ids) => {
        const found = new Map<number, Row>();
        for (const values of await lookups.rows(name, text, [ids])) {
          const row = {} as Record<string, unknown>;
          keys.forEach((k, i) => (row[k] = values[i]));
          found.set(values[idAt] as number, row as Row);
        }
        return found;
      },
      undefined,
      500,
      LOOKUPS_IN_FLIGHT,
    );
  });
  return (db, id) => batcherFor(db).get(id);
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
