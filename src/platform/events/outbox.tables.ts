import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, unique, uuid, varchar } from 'drizzle-orm/pg-core';

/**
 * The transactional outbox: an event is written in the transaction that makes it true and leaves
 * after the commit, through the relay. One event per (topic, aggregate): an order is paid once.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    eventId: uuid('event_id').notNull().unique('outbox_event_id_unique'),
    topic: varchar('topic', { length: 60 }).notNull(),
    aggregateId: bigint('aggregate_id', { mode: 'number' }).notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    /** Retries wait for this instant, growing with each failed attempt. */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    lastError: text('last_error'),
    sentAt: timestamp('sent_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    unique('outbox_topic_aggregate_unique').on(t.topic, t.aggregateId),
    // The relay's queue: only unsent rows are in it.
    index('outbox_unsent_idx').on(t.nextAttemptAt, t.id).where(sql`${t.sentAt} IS NULL`),
    // The purge's way to the sent rows past their retention, oldest first.
    index('outbox_sent_idx').on(t.sentAt).where(sql`${t.sentAt} IS NOT NULL`),
    check('outbox_attempts_non_negative', sql`${t.attempts} >= 0`),
  ],
);
