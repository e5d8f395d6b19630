import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, api, call, createTestApp, newUser, type TestApp } from '../../../test/helpers/app.js';
import { createServerDatabase, onServer, type ServerDatabase } from '../../../test/helpers/databases.js';
import { scalar } from '../../../test/helpers/sql.js';
import { buildApp } from '../../app.js';
import { loadConfig } from '../../config.js';
import { projectRoot } from '../../shared/project-root.js';
import { openDatabase, type Database } from '../db/db.js';
import { runMigrations } from '../db/migrate.js';

describe('Idempotency-Key ownership', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const charge = (userId: number, amount: number, key: string) =>
    call(t.app, 'PUT', api(`/users/${userId}/balance`), { amount }, { 'idempotency-key': key });
  const balanceOf = (userId: number) => scalar(t.database.db, `SELECT balance AS v FROM users WHERE id = ${userId}`);

  it('treats the same key from two users as two unrelated requests', async () => {
    const [a, b] = [await newUser(t.app), await newUser(t.app)];
    expect(await charge(a, 100, 'shared-key')).toMatchObject({ status: 200, body: { userId: a, balance: 100 } });
    // Another body under the same key: for another user this is no reuse, and nothing of a's leaks.
    expect(await charge(b, 250, 'shared-key')).toMatchObject({ status: 200, body: { userId: b, balance: 250 } });
    expect(await charge(b, 250, 'shared-key')).toMatchObject({ status: 200, body: { userId: b, balance: 250 } });
    expect(await charge(a, 999, 'shared-key')).toMatchObject({ status: 409, body: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect([await balanceOf(a), await balanceOf(b)]).toEqual([100, 250]);
  });
});

// The answers stored before keys had owners are kept, and replayed to their user after the migration.
describe('migration 0004: idempotency keys get their owner', () => {
  let server: ServerDatabase | undefined;
  let database: Database;
  let folder: string;
  beforeAll(async () => {
    server = onServer ? await createServerDatabase() : undefined;
    database = await openDatabase({ url: server?.url });
    // The migrations as they were before 0004.
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
    const source = path.join(projectRoot(), 'drizzle');
    fs.cpSync(source, folder, { recursive: true });
    const journal = JSON.parse(fs.readFileSync(path.join(source, 'meta/_journal.json'), 'utf8'));
    const cut = journal.entries.findIndex((e: { tag: string }) => e.tag.startsWith('0004_'));
    fs.writeFileSync(path.join(folder, 'meta/_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));
    if (database.kind === 'pglite') await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder: folder });
    else await migratePg(database.db as unknown as NodePgDatabase, { migrationsFolder: folder });
  });
  afterAll(async () => {
    await database.close();
    await server?.drop();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('keeps every stored answer readable by its user', async () => {
    const { fingerprint } = await import('../../shared/canonical-json.js');
    await database.db.execute(sql`INSERT INTO users (name, balance) VALUES ('old', 100), ('other', 0)`);
    const stored = [
      ['k-ok', { userId: 1, amount: 100 }, 200, { userId: 1, name: 'old', balance: 100 }],
      ['k-missing', { userId: 77, amount: 5 }, 404, { code: 'USER_NOT_FOUND', message: 'User 77 not found', details: { userId: 77 } }],
    ] as const;
    for (const [key, request, status, body] of stored) {
      await database.db.execute(sql`INSERT INTO idempotency_keys (scope, key, request_hash, response_status, response_body)
        VALUES ('balance.charge', ${key}, ${fingerprint(request)}, ${status}, ${JSON.stringify(body)}::jsonb)`);
    }
    await runMigrations(database, server?.url);
    const app = await buildApp({ config: loadConfig({ ADMIN_TOKEN, LOG_LEVEL: 'silent' }), database });
    try {
      const replay = await call(app, 'PUT', api('/users/1/balance'), { amount: 100 }, { 'idempotency-key': 'k-ok' });
      expect(replay).toMatchObject({ status: 200, body: { userId: 1, balance: 100 } });
      expect(await scalar(database.db, 'SELECT balance AS v FROM users WHERE id = 1')).toBe(100);
      const missing = await call(app, 'PUT', api('/users/77/balance'), { amount: 5 }, { 'idempotency-key': 'k-missing' });
      expect(missing).toMatchObject({ status: 404, body: { code: 'USER_NOT_FOUND' } });
      // User 2's same key is its own request.
      expect((await call(app, 'PUT', api('/users/2/balance'), { amount: 7 }, { 'idempotency-key': 'k-ok' })).body).toMatchObject({ userId: 2, balance: 7 });
      expect(await scalar(database.db, 'SELECT count(*) AS v FROM idempotency_keys WHERE user_id IS NULL')).toBe(0);
    } finally {
      await app.close();
    }
  });
});
