import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, timestamp, varchar } from 'drizzle-orm/pg-core';
import { users } from '../users/users.tables.js';

/** The balance ledger: every change of a balance is one row, written in the same statement. */
export const balanceHistory = pgTable(
  'balance_history',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    userId: bigint('user_id', { mode: 'number' })
      .notNull()
      .references(() => users.id),
    type: varchar('type', { length: 10, enum: ['CHARGE', 'PAYMENT', 'REFUND'] }).notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    balanceAfter: bigint('balance_after', { mode: 'number' }).notNull(),
    orderId: bigint('order_id', { mode: 'number' }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('balance_history_user_id_idx').on(t.userId, t.id.desc()),
    check('balance_history_type_valid', sql`${t.type} IN ('CHARGE', 'PAYMENT', 'REFUND')`),
    check('balance_history_amount_positive', sql`${t.amount} > 0`),
    check('balance_history_balance_after_non_negative', sql`${t.balanceAfter} >= 0`),
  ],
);
