import { eq, inArray } from 'drizzle-orm';
import { queryRows, sql, type Db } from '../../platform/db/db.js';
import { users } from './users.tables.js';

export type UserRow = typeof users.$inferSelect;

export async function insertUser(db: Db, name: string): Promise<UserRow> {
  const [row] = await db.insert(users).values({ name }).returning();
  return row!;
}

/** True when the user exists; the cheapest check, for services that only need to know. */
export async function userExists(db: Db, id: number): Promise<boolean> {
  const rows = await db.select({ id: users.id }).from(users).where(eq(users.id, id)).limit(1);
  return rows.length > 0;
}

/** Which of `ids` exist, in one query. */
export async function existingUserIds(db: Db, ids: number[]): Promise<Set<number>> {
  const rows = await db.select({ id: users.id }).from(users).where(inArray(users.id, ids));
  return new Set(rows.map((r) => r.id));
}

/**
 * The ids above `after`, ascending, at most `limit`: one row whose text is the list, which parses
 * in a fraction of the time `limit` rows would.
 */
export async function userIdsAbove(db: Db, after: number, limit: number): Promise<number[]> {
  const [row] = await queryRows<{ ids: string | null }>(
    db,
    sql`SELECT string_agg(id::text, ',' ORDER BY id) AS ids FROM (SELECT id FROM users WHERE id > ${after} ORDER BY id LIMIT ${limit}) u`,
  );
  return row?.ids ? row.ids.split(',').map(Number) : [];
}
