import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/db.js';
import { PgCode, pgCode } from '../db/pg-errors.js';
import { AppError } from '../http/errors.js';
import { fingerprint } from '../../shared/canonical-json.js';

/** What a write answers: remembered under its Idempotency-Key and replayed to a repeat. */
export interface Outcome<T> {
  status: number;
  body: T;
}

/** An outcome, and whether it was replayed from an earlier request rather than produced now. */
export interface Answer<T> extends Outcome<T> {
  replayed: boolean;
}

export interface IdempotencyRequest {
  /** The operation, e.g. `balance.charge`: keys of different operations never meet. */
  scope: string;
  /** The user the request acts for: a key belongs to its user, and another user's same key is another request. */
  userId: number;
  key: string | undefined;
  /** What identifies the request (path ids and body); a repeat must match it. */
  request: unknown;
}

export const IDEMPOTENCY_TTL_HOURS = 24;
// A repeat waits this long for the first request to finish (each waiter holds a pooled connection).
const WAIT_FOR_IN_FLIGHT = '2s';

/**
 * Runs `work` in one transaction. With a key, the first request's answer (success or business
 * error) is stored in that same transaction, and a repeat gets it back without running `work`
 * again. Concurrent repeats take turns on a transaction-scoped advisory lock of the key, so the
 * second waits for the first to commit and then replays it; one that waits too long is told
 * IDEMPOTENCY_KEY_IN_USE.
 */
export async function runIdempotent<T>(
  db: Db,
  req: IdempotencyRequest,
  work: (tx: Db) => Promise<Outcome<T>>,
): Promise<Answer<T | unknown>> {
  if (req.key === undefined) {
    const fresh = await db.transaction((tx) => work(tx as unknown as Db));
    return { ...fresh, replayed: false };
  }
  const key = req.key;
  const hash = fingerprint(req.request);
  let failure: AppError | undefined;
  const outcome = await db.transaction(async (txRaw) => {
    const tx = txRaw as unknown as Db;
    await lockKey(tx, req.scope, req.userId, key);
    const [stored] = await queryRows<{ request_hash: string; response_status: number; response_body: unknown }>(
      tx,
      sql`SELECT request_hash, response_status, response_body FROM idempotency_keys
          WHERE scope = ${req.scope} AND user_id = ${req.userId} AND key = ${key}
            AND created_at > now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`,
    );
    if (stored) {
      if (stored.request_hash !== hash) {
        throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request');
      }
      return { status: stored.response_status, body: stored.response_body, replayed: true };
    }
    let result: Outcome<unknown>;
    try {
      // A savepoint: a business failure undoes the work but the answer is still remembered.
      result = await tx.transaction((inner) => work(inner as unknown as Db));
    } catch (err) {
      if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
      failure = err;
      result = { status: err.statusCode, body: err.toBody() };
    }
    await tx.execute(sql`
      INSERT INTO idempotency_keys (scope, user_id, key, request_hash, response_status, response_body)
      VALUES (${req.scope}, ${req.userId}, ${key}, ${hash}, ${result.status}, ${JSON.stringify(result.body)}::jsonb)
      ON CONFLICT (scope, user_id, key) DO UPDATE SET
        request_hash = EXCLUDED.request_hash, response_status = EXCLUDED.response_status,
        response_body = EXCLUDED.response_body, created_at = now()`);
    return { ...result, replayed: false };
  });
  if (failure) throw failure;
  return outcome;
}

/** The lock's name, also used by tests that hold a key on purpose. */
export const keyLockName = (scope: string, userId: number, key: string) => `${scope}:${userId}:${key}`;

async function lockKey(tx: Db, scope: string, userId: number, key: string): Promise<void> {
  await tx.execute(sql.raw(`SET LOCAL lock_timeout = '${WAIT_FOR_IN_FLIGHT}'`));
  try {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${keyLockName(scope, userId, key)}, 0))`);
  } catch (err) {
    if (pgCode(err) === PgCode.lockNotAvailable) {
      throw new AppError('IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is still in progress; retry later');
    }
    throw err;
  }
  await tx.execute(sql.raw('SET LOCAL lock_timeout = DEFAULT'));
}

/** Deletes remembered answers older than the TTL; safe to run on every instance. */
export async function purgeExpiredKeys(db: Db): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`WITH d AS (DELETE FROM idempotency_keys WHERE created_at <= now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS}) RETURNING 1)
        SELECT count(*)::int AS n FROM d`,
  );
  return rows[0]?.n ?? 0;
}
