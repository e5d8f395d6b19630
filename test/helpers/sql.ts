import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../src/platform/db/db.js';

/** One number from a SQL query, for checking invariants in the data. */
export async function scalar(db: Db, text: string): Promise<number> {
  const [row] = await queryRows<{ v: number | string }>(db, sql.raw(text));
  return Number(row?.v);
}
