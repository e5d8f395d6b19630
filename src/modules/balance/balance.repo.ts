import { desc, eq, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../platform/db/db.js';
import { batchedById, type ByIdLookup } from '../../platform/db/prepared.js';
import { users } from '../users/index.js';
import { balanceHistory } from './balance.tables.js';

export interface BalanceRow {
  id: number;
  name: string;
  balance: number;
}

/**
 * Adds `amount` to the balance only if the result stays within `maxBalance`, and writes the ledger
 * row in the same statement; no row back means the user is missing or the limit would be passed.
 */
export async function creditIfWithinLimit(db: Db, userId: number, amount: number, maxBalance: number): Promise<BalanceRow | undefined> {
  const [row] = await queryRows<BalanceRow>(
    db,
    sql`WITH u AS (
          UPDATE users SET balance = balance + ${amount}, updated_at = now()
          WHERE id = ${userId} AND balance + ${amount} <= ${maxBalance}
          RETURNING id, name, balance
        ), h AS (
          INSERT INTO balance_history (user_id, type, amount, balance_after)
          SELECT id, 'CHARGE', ${amount}, balance FROM u
        )
        SELECT id, name, balance FROM u`,
  );
  return row;
}

const balanceColumns = { id: users.id, name: users.name, balance: users.balance };

export async function findBalance(db: Db, userId: number): Promise<BalanceRow | undefined> {
  const [row] = await db.select(balanceColumns).from(users).where(eq(users.id, userId)).limit(1);
  return row;
}

/** The committed balance when the lookup runs; lookups in the same tick share one statement (batchedById). Root handle only. */
export const balancesById: ByIdLookup<BalanceRow> = batchedById('balances_by_user_ids', users, balanceColumns);

export type HistoryRow = typeof balanceHistory.$inferSelect;

/** The newest `limit` ledger rows of a user, newest first. */
export async function listHistory(db: Db, userId: number, limit: number): Promise<HistoryRow[]> {
  return db
    .select()
    .from(balanceHistory)
    .where(eq(balanceHistory.userId, userId))
    .orderBy(desc(balanceHistory.id))
    .limit(limit);
}
