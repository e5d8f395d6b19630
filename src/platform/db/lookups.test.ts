import { sql } from 'drizzle-orm';
import { bigint, pgTable, varchar } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertNumberedProducts } from '../../../test/helpers/products.js';
import { createServerDatabase, onServer, type ServerDatabase } from '../../../test/helpers/databases.js';
import { productsById } from '../../modules/catalog/catalog.repo.js';
import { products } from '../../modules/catalog/catalog.tables.js';
import { isDatabaseUnavailable } from './pg-errors.js';
import { lookupsOf, openDatabase, type Database } from './db.js';
import { LookupQuery } from './lookups.js';
import { batchedById } from './prepared.js';
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
    const answers = await Promise.all(asked.map((id) => productsById.load(database.db, id)));
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
    const answers = await Promise.all(asked.map((id) => productsById.load(database.db, id)));
    answers.forEach((row, i) => expect(row).toMatchObject({ id: asked[i], price: 1000 + ids.indexOf(asked[i]!) + 1 }));
  });

  it('sees a change committed before it was asked', async () => {
    const id = ids[500]!;
    for (const stock of [7, 0, 12]) {
      await database.db.execute(sql`UPDATE products SET stock = ${stock} WHERE id = ${id}`);
      expect((await productsById.load(database.db, id))?.stock).toBe(stock);
    }
  });

  it('is refused inside a transaction, whose handle has no lookups', async () => {
    await database.db.transaction(async (tx) => {
      expect(() => lookupsOf(tx)).toThrow(/root handle/);
    });
  });
});

describe('batchedById', () => {
  it('refuses, when it is made, a column it could misread: one that may be null, or neither a number nor text', () => {
    expect(() => batchedById('test_dates', products, { id: products.id, createdAt: products.createdAt })).toThrow(/number and string columns/);
    const notes = pgTable('notes', { id: bigint('id', { mode: 'number' }).primaryKey(), note: varchar('note', { length: 10 }) });
    expect(() => batchedById('test_nullable', notes, { id: notes.id, note: notes.note })).toThrow(/NOT NULL/);
    expect(() => batchedById('test_products', products, { id: products.id, name: products.name, stock: products.stock })).not.toThrow();
  });
});

/** A stand-in for the protocol writer of pg's connection: it records what a LookupQuery writes. */
function recordingConnection() {
  const written: string[] = [];
  return {
    written,
    parsedStatements: {} as Record<string, string>,
    submittedNamedStatements: {} as Record<string, string>,
    stream: { cork: () => written.push('cork'), uncork: () => written.push('uncork') },
    parse: (c: { name: string; text: string }) => written.push(`parse ${c.name}: ${c.text}`),
    bind: (c: { statement: string; values: unknown[] }) => written.push(`bind ${c.statement} ${JSON.stringify(c.values)}`),
    execute: () => written.push('execute'),
    sync: () => written.push('sync'),
    sendCopyFail: () => written.push('copy fail'),
  };
}

describe('LookupQuery', () => {
  const submit = (q: LookupQuery, c: ReturnType<typeof recordingConnection>) => q.submit(c as unknown as pg.Connection);
  const noop = () => {};

  it('parses its statement once per connection, then writes bind, execute and sync in one corked write', () => {
    const c = recordingConnection();
    expect(submit(new LookupQuery('by_ids', 'SELECT $1', ['{1,2}'], noop), c)).toBeNull();
    expect(c.written).toEqual(['cork', 'parse by_ids: SELECT $1', 'bind by_ids ["{1,2}"]', 'execute', 'sync', 'uncork']);
    c.written.length = 0;
    c.parsedStatements['by_ids'] = c.submittedNamedStatements['by_ids']!;
    expect(submit(new LookupQuery('by_ids', 'SELECT $1', ['{3}'], noop), c)).toBeNull();
    expect(c.written).toEqual(['cork', 'bind by_ids ["{3}"]', 'execute', 'sync', 'uncork']);
  });

  it('refuses a name already prepared on that connection with another text, writing nothing', () => {
    const c = recordingConnection();
    c.parsedStatements['by_ids'] = 'SELECT $1';
    expect(submit(new LookupQuery('by_ids', 'SELECT 2', [], noop), c)).toBeInstanceOf(Error);
    expect(c.written).toEqual([]);
  });

  it('answers its rows as text once ready, an error instead, and never twice', () => {
    const answers: unknown[] = [];
    const q = new LookupQuery('by_ids', 'SELECT $1', [], (err, rows) => answers.push(err ?? rows));
    q.handleDataRow({ fields: ['1', 'lamp'] });
    q.handleDataRow({ fields: ['2', null] });
    q.handleReadyForQuery();
    q.handleError(new Error('late'));
    expect(answers).toEqual([
      [
        ['1', 'lamp'],
        ['2', null],
      ],
    ]);
    const failed: unknown[] = [];
    const f = new LookupQuery('by_ids', 'SELECT $1', [], (err) => failed.push(err));
    f.handleError(new Error('statement failed'));
    f.handleReadyForQuery();
    expect(failed).toEqual([new Error('statement failed')]);
  });
});

describe('lookups after close', () => {
  it('fail as "database unavailable", so the route answers 503', async () => {
    const server = onServer ? await createServerDatabase() : undefined;
    try {
      const database = await openDatabase({ url: server?.url, poolSize: 1 });
      await runMigrations(database, server?.url);
      expect(await productsById.load(database.db, 1)).toBeUndefined();
      await database.close();
      const err = await productsById.load(database.db, 1).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isDatabaseUnavailable(err)).toBe(true);
    } finally {
      await server?.drop();
    }
  });
});
