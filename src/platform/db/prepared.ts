import type { Db } from './db.js';

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
