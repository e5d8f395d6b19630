import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../src/platform/db/db.js';

/** One number from a SQL query, for checking invariants in the data. */
export async function scalar(db: Db, text: string): Promise<number> {
  const [row] = await queryRows<{ v: number | string }>(db, sql.raw(text));
  return Number(row?.v);
}

/** The rows of a SQL query, for checking data directly. */
export async function rows<T = Record<string, any>>(db: Db, text: string): Promise<T[]> {
  return queryRows<T>(db, sql.raw(text));
}
