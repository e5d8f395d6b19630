import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { rows } from '../../../test/helpers/sql.js';
import type { Db } from '../../platform/db/db.js';
import { RANGE_IDS, UserDirectory } from './user-directory.js';

/** Inserts users with the given ids (as a late commit, or another instance's, would leave them). */
async function insertIds(db: Db, ids: number[]): Promise<void> {
  await rows(db, `INSERT INTO users (id, name) OVERRIDING SYSTEM VALUE SELECT g, 'u' FROM unnest('{${ids.join(',')}}'::bigint[]) g`);
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('UserDirectory', () => {
  let t: TestApp;
  let db: Db;

  beforeAll(async () => {
    t = await createTestApp();
    db = t.database.db;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reads the users registered since it started in one range, not one query each', async () => {
    const directory = new UserDirectory(db);
    await directory.warm();
    const ids = (await rows<{ id: number | string }>(db, `INSERT INTO users (name) SELECT 'u' FROM generate_series(1, 500) RETURNING id`)).map((r) => Number(r.id));
    expect(directory.has(ids[0]!)).toBe(false);

    expect(await directory.exists(ids[0]!)).toBe(true);
    // The same read brought all the others: known with no further question to the database.
    expect(ids.every((id) => directory.has(id))).toBe(true);
  });

  it('says no to an unknown user without remembering it: the user may be registered a moment later', async () => {
    const directory = new UserDirectory(db);
    const id = 2_000_000;
    expect(await directory.exists(id)).toBe(false);
    expect(directory.has(id)).toBe(false);
    await insertIds(db, [id]);
    expect(await directory.exists(id)).toBe(true);
    expect(directory.has(id)).toBe(true);
  });

  it('finds a user below the highest id it has read (committed after that read) by asking', async () => {
    const directory = new UserDirectory(db);
    await insertIds(db, [3_000_000, 3_000_002]);
    expect(await directory.exists(3_000_002)).toBe(true);
    await insertIds(db, [3_000_001]);
    expect(await directory.exists(3_000_001)).toBe(true);
    expect(directory.has(3_000_001)).toBe(true);
  });

  it('reads every user in the background, a range at a time', async () => {
    const from = 4_000_000;
    const n = 2 * RANGE_IDS + 123;
    await insertIds(db, range(from, n));
    const directory = new UserDirectory(db);
    await directory.warm();
    const all = await rows<{ id: number | string }>(db, 'SELECT id FROM users');
    expect(all.length).toBeGreaterThan(n);
    expect(all.every((r) => directory.has(Number(r.id)))).toBe(true);
    expect(directory.has(from + n)).toBe(false);
  });

  it('keeps at most its pages of ids, and answers the others from the database', async () => {
    const directory = new UserDirectory(db, 1);
    await insertIds(db, [9_000_000]);
    expect(await directory.exists(5)).toBe(true);
    expect(await directory.exists(9_000_000)).toBe(true);
    expect(directory.has(5)).toBe(true);
    expect(directory.has(9_000_000)).toBe(false); // a second page is not kept
    expect(await directory.exists(9_000_001)).toBe(false);
  });

  it('stops reading when told', async () => {
    const directory = new UserDirectory(db);
    await directory.stop();
    await directory.warm();
    expect(directory.has(5)).toBe(false);
  });
});
