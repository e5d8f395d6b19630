import { sql } from 'drizzle-orm';
import { bigint, check, date, integer, pgTable, primaryKey, timestamp, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { products } from '../catalog/catalog.tables.js';

export const POPULAR_TRIGGERS = ['SCHEDULE', 'MANUAL', 'STARTUP'] as const;
export type PopularTrigger = (typeof POPULAR_TRIGGERS)[number];

/**
 * Every run of the ranking batch, in the order the runs committed (they are serialized by an
 * advisory lock, so a higher id is always a later run). The latest row is what the API serves.
 */
export const popularRuns = pgTable(
  'popular_runs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    runDate: date('run_date', { mode: 'string' }).notNull(),
    trigger: varchar('trigger', { length: 10, enum: POPULAR_TRIGGERS }).notNull(),
    timezone: varchar('timezone', { length: 64 }).notNull(),
    /** The window counted: [run date - 3 days 00:00, run date 00:00) in `timezone`. */
    windowStart: timestamp('window_start', { withTimezone: true, precision: 3 }).notNull(),
    windowEnd: timestamp('window_end', { withTimezone: true, precision: 3 }).notNull(),
    computedAt: timestamp('computed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    // The schedule fires in every instance; only the first to insert its run for the day goes on.
    uniqueIndex('popular_runs_scheduled_once').on(t.runDate).where(sql`${t.trigger} = 'SCHEDULE'`),
    check('popular_runs_trigger_valid', sql`${t.trigger} IN ('SCHEDULE', 'MANUAL', 'STARTUP')`),
    check('popular_runs_window_valid', sql`${t.windowEnd} > ${t.windowStart}`),
  ],
);

/** The ranking of each run date (the latest run of that date), with name and price as of that run. */
export const popularProducts = pgTable(
  'popular_products',
  {
    runDate: date('run_date', { mode: 'string' }).notNull(),
    rank: integer('rank').notNull(),
    runId: bigint('run_id', { mode: 'number' })
      .notNull()
      .references(() => popularRuns.id),
    productId: bigint('product_id', { mode: 'number' })
      .notNull()
      .references(() => products.id),
    productName: varchar('product_name', { length: 100 }).notNull(),
    price: bigint('price', { mode: 'number' }).notNull(),
    salesCount: bigint('sales_count', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'popular_products_pk', columns: [t.runDate, t.rank] }),
    check('popular_products_rank_valid', sql`${t.rank} BETWEEN 1 AND 5`),
    check('popular_products_sales_positive', sql`${t.salesCount} > 0`),
  ],
);
