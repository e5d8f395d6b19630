import type { AppContext } from '../../platform/context.js';
import { runIdempotent, type Answer } from '../../platform/idempotency/idempotency.js';
import { assertUserExists, toUserView, UserNotFoundError, type UserView } from '../users/index.js';
import { BalanceLimitExceededError } from './balance.errors.js';
import { creditIfWithinLimit, findBalance, listHistory, balancesById } from './balance.repo.js';

export interface HistoryEntry {
  type: 'CHARGE' | 'PAYMENT' | 'REFUND';
  amount: number;
  balanceAfter: number;
  orderId: number | null;
  createdAt: string;
}

/** Adds `amount` to a user's balance, at most up to MAX_BALANCE; a repeated Idempotency-Key replays. */
export async function chargeBalance(
  ctx: AppContext,
  userId: number,
  amount: number,
  idempotencyKey?: string,
): Promise<Answer<UserView | unknown>> {
  const { maxBalance } = ctx.config;
  const answer = await runIdempotent(ctx.db, { scope: 'balance.charge', userId, key: idempotencyKey, request: { userId, amount } }, async (tx) => {
    const row = await creditIfWithinLimit(tx, userId, amount, maxBalance);
    if (!row) {
      const current = await findBalance(tx, userId);
      if (!current) throw new UserNotFoundError(userId);
      throw new BalanceLimitExceededError({ userId, balance: current.balance, amount, maxBalance });
    }
    return { status: 200, body: toUserView(row) };
  });
  if (!answer.replayed && answer.status === 200) {
    // Counted after the commit, so a rolled-back charge is never counted.
    ctx.metrics.balanceCharges.inc();
    ctx.metrics.balanceChargedWon.inc(amount);
  }
  return answer;
}

export async function getBalance(ctx: AppContext, userId: number): Promise<UserView> {
  const row = await balancesById.load(ctx.db, userId);
  if (!row) throw new UserNotFoundError(userId);
  return toUserView(row);
}

/** The user's ledger, newest first. */
export async function getHistory(ctx: AppContext, userId: number, limit: number): Promise<HistoryEntry[]> {
  const rows = await listHistory(ctx.db, userId, limit);
  if (rows.length === 0) await assertUserExists(ctx.db, userId);
  return rows.map((r) => ({
    type: r.type,
    amount: r.amount,
    balanceAfter: r.balanceAfter,
    orderId: r.orderId,
    createdAt: r.createdAt.toISOString(),
  }));
}
