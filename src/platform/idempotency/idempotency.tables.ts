import { sql } from 'drizzle-orm';
import { bigint, char, check, index, integer, jsonb, pgTable, primaryKey, timestamp, varchar } from 'drizzle-orm/pg-core';

/**
 * Answers remembered per Idempotency-Key, so a retried request is answered, not redone. A key
 * belongs to the user who sent it: the same key from two users is two unrelated requests. No
 * foreign key: a refusal for an unknown user is remembered too.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: varchar('scope', { length: 40 }).notNull(),
    userId: bigint('user_id', { mode: 'number' }).notNull(),
    key: varchar('key', { length: 255 }).notNull(),
    requestHash: char('request_hash', { length: 64 }).notNull(),
    responseStatus: integer('response_status').notNull(),
    responseBody: jsonb('response_body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.userId, t.key] }),
    index('idempotency_keys_created_at_idx').on(t.createdAt),
    check('idempotency_keys_status_valid', sql`${t.responseStatus} BETWEEN 100 AND 599`),
  ],
);
