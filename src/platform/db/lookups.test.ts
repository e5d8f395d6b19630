import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertNumberedProducts } from '../../../test/helpers/products.js';
import { createServerDatabase, onServer, type ServerDatabase } from '../../../test/helpers/databases.js';
import { loadProduct } from '../../modules/catalog/catalog.repo.js';
import { isDatabaseUnavailable } from './pg-errors.js';
import { lookupsOf, openDatabase, type Database } from './db.js';
import { runMigrations } from './migrate.js';

// Reads by primary key (lookups.ts, batchedById in prepared.ts), on PGlite and on the server alike.
describe('lookups by id', () => {
  let server: ServerDatabase | undefined;
  let database: Database;
  let ids: number[];
  beforeAll(async () => {
    server = onServer ? await createServerDatabase() : undefined;
    database = await openDatabase({ url: server?.url, poolSize: 4 });
    await runMigrations(database, server?.url);
    ids = await insertNumberedProducts(database.db, 1_000);
  });
  afterAll(async () => {
    await database.close();
    await server?.drop();
  });

  it('answers each caller its own row, with numbers for int8, and undefined for an id that does not exist', async () => {
    const asked = [ids[0]!, ids[41]!, ids[999]!, 987_654_321, ids[41]!];
    const answers = await Promise.all(asked.map((id) => loadProduct(database.db, id)));
    expect(answers).toEqual([
      { id: ids[0], name: 'lookup 1', price: 1001, stock: 1 },
      { id: ids[41], name: 'lookup 42', price: 1042, stock: 42 },
      { id: ids[999], name: 'lookup 1000', price: 2000, stock: 1000 },
      undefined,
      { id: ids[41], name: 'lookup 42', price: 1042, stock: 42 },
    ]);
  });

  it('answers every one of 1,200 lookups asked at once (more than one batch holds)', async () => {
    const asked = Array.from({ length: 1_200 }, (_, i) => ids[(i * 7) % ids.length]!);
    const answers = await Promise.all(asked.map((id) => loadProduct(database.db, id)));
    answers.forEach((row, i) => expect(row).toMatchObject({ id: asked[i], price: 1000 + ids.indexOf(asked[i]!) + 1 }));
  });

  it('sees a change committed before it was asked', async () => {
    const id = ids[500]!;
    for (const stock of [7, 0, 12]) {
      await database.db.execute(sql`UPDATE products SET stock = ${stock} WHERE id = ${id}`);
      expect((await loadProduct(database.db, id))?.stock).toBe(stock);
    }
  });

  it('is refused inside a transaction, whose handle has no lookups', async () => {
    await database.db.transaction(async (tx) => {
      expect(() => lookupsOf(tx)).toThrow(/root handle/);
    });
  });
});

describe('lookups after close', () => {
  it('fail as "database unavailable", so the route answers 503', async () => {
    const server = onServer ? await createServerDatabase() : undefined;
    try {
      const database = await openDatabase({ url: server?.url, poolSize: 1 });
      await runMigrations(database, server?.url);
      expect(await loadProduct(database.db, 1)).toBeUndefined();
      await database.close();
      const err = await loadProduct(database.db, 1).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isDatabaseUnavailable(err)).toBe(true);
    } finally {
      await server?.drop();
    }
  });
});
