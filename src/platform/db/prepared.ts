import type { Db } from './db.js';

/**
 * A statement built once per database handle and prepared by name, so the hot reads skip both
 * Drizzle's query building and PostgreSQL's parse/plan on every call. Use it only with the root
 * handle: a transaction is a different handle and gets its own (unnamed) statement.
 */
export function preparedStatement<P>(build: (db: Db) => P): (db: Db) => P {
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
