import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/db.js';
import type { OutboxEvent } from './sink.js';

/** The oldest due, unsent events, locked so that relays of other instances skip them. In a transaction. */
export async function claimDue(tx: Db, batch: number): Promise<Array<OutboxEvent & { id: number }>> {
  const rows = await queryRows<{ id: number | string; event_id: string; topic: string; payload: string }>(
    tx,
    sql`SELECT id, event_id, topic, payload::text AS payload FROM outbox
        WHERE sent_at IS NULL AND next_attempt_at <= now()
        ORDER BY next_attempt_at, id
        LIMIT ${batch}
        FOR UPDATE SKIP LOCKED`,
  );
  return rows.map((r) => ({ id: Number(r.id), eventId: r.event_id, topic: r.topic, payload: r.payload }));
}

export async function markSent(tx: Db, ids: number[]): Promise<void> {
  await tx.execute(sql`UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY(${sql.param(ids)}::bigint[])`);
}

/** Puts the events back with a growing wait: 1 s after the first failure, doubling up to 60 s. */
export async function markFailed(db: Db, ids: number[], error: string): Promise<void> {
  await db.execute(sql`
    UPDATE outbox SET attempts = attempts + 1, last_error = ${error.slice(0, 500)},
      next_attempt_at = now() + make_interval(secs => least(60, power(2, least(attempts, 10)))::double precision)
    WHERE id = ANY(${sql.param(ids)}::bigint[]) AND sent_at IS NULL`);
}

/** How many events wait, and how old the oldest is (seconds), for metrics and the audit. */
export async function backlog(db: Db): Promise<{ pending: number; oldestSeconds: number }> {
  const [row] = await queryRows<{ pending: number; oldest: number | null }>(
    db,
    sql`SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float8 AS oldest FROM outbox WHERE sent_at IS NULL`,
  );
  return { pending: row?.pending ?? 0, oldestSeconds: row?.oldest ?? 0 };
}

/**
 * Deletes the rows sent more than `retentionHours` ago, oldest first, `batch` at a time (short
 * transactions, no long lock on the table); returns how many. Unsent rows are never touched. Safe
 * on every instance at once: two purges only share the work.
 */
export async function purgeSent(db: Db, retentionHours: number, batch = 5_000): Promise<number> {
  let total = 0;
  for (;;) {
    const [row] = await queryRows<{ n: number }>(
      db,
      sql`WITH d AS (
            DELETE FROM outbox WHERE id IN (
              SELECT id FROM outbox
              WHERE sent_at IS NOT NULL AND sent_at < now() - make_interval(hours => ${retentionHours})
              ORDER BY sent_at LIMIT ${batch}
              FOR UPDATE SKIP LOCKED)
            RETURNING 1)
          SELECT count(*)::int AS n FROM d`,
    );
    const n = row?.n ?? 0;
    total += n;
    if (n < batch) return total;
  }
}
