import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../../platform/db/db.js';
import { toIso } from '../../shared/time.js';
import type { PopularTrigger } from './popular.tables.js';

// Any constant works; it only has to be the same in every instance (the migration lock is 7_240_001).
const POPULAR_BATCH_LOCK_KEY = 7_240_005;
/** How many products a ranking keeps. */
export const TOP_N = 5;

export interface RunRow {
  id: number;
  runDate: string;
  trigger: PopularTrigger;
  timezone: string;
  windowStart: Date | string;
  windowEnd: Date | string;
  computedAt: Date | string;
}

export interface RankedRow {
  rank: number;
  productId: number;
  name: string;
  price: number;
  salesCount: number;
}

/** Waits for the batch lock, held until the transaction ends: runs of every instance take turns. */
export async function lockBatch(tx: Db): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${POPULAR_BATCH_LOCK_KEY})`);
}

/**
 * Records a run for `runDate` with its window, the local midnights of `runDate - 3` and `runDate`
 * in `timezone` (PostgreSQL resolves the zone's offsets, so a DST change inside the window is
 * exact). A scheduled run that finds the day's scheduled run already there returns undefined.
 */
export async function insertRun(tx: Db, runDate: string, timezone: string, trigger: PopularTrigger): Promise<RunRow | undefined> {
  const [row] = await queryRows<RunRow>(
    tx,
    sql`INSERT INTO popular_runs (run_date, trigger, timezone, window_start, window_end)
        VALUES (${runDate}::date, ${trigger}, ${timezone},
                (${runDate}::date - 3)::timestamp AT TIME ZONE ${timezone},
                (${runDate}::date)::timestamp AT TIME ZONE ${timezone})
        ON CONFLICT (run_date) WHERE trigger = 'SCHEDULE' DO NOTHING
        RETURNING id, run_date::text AS "runDate", trigger, timezone, window_start AS "windowStart",
                  window_end AS "windowEnd", computed_at AS "computedAt"`,
  );
  return row;
}

export interface Window {
  start: string;
  end: string;
}

/**
 * The ranking of a window: units in PAID orders paid inside it, most first, ties by product id,
 * top 5. A plain read in one statement (one snapshot), taking no row lock. The window's orders are
 * read once through the paid_at index; their lowest and highest id (`span`) change no result but
 * let the planner read only the lines of those orders through the (order_id, product_id) index,
 * instead of hashing every line ever sold, which grows with history (see benchmarks.md). Exported
 * so the benchmark EXPLAINs exactly this query.
 */
export function rankingQuery(window: Window): SQL {
  return sql`WITH paid AS MATERIALIZED (
               SELECT id FROM orders
               WHERE status = 'PAID' AND paid_at >= ${window.start}::timestamptz AND paid_at < ${window.end}::timestamptz
             ),
             span AS (SELECT min(id) AS lo, max(id) AS hi FROM paid)
             SELECT oi.product_id, sum(oi.quantity)::bigint AS units,
                    row_number() OVER (ORDER BY sum(oi.quantity) DESC, oi.product_id) AS rank
             FROM span
             JOIN order_items oi ON oi.order_id BETWEEN span.lo AND span.hi
             JOIN paid ON paid.id = oi.order_id
             GROUP BY oi.product_id
             ORDER BY rank
             LIMIT ${TOP_N}`;
}

/** Replaces the ranking of the run's date with the run's, taking each product's name and price as they are now. */
export async function replaceRanking(tx: Db, run: Pick<RunRow, 'id' | 'runDate' | 'windowStart' | 'windowEnd'>): Promise<RankedRow[]> {
  await tx.execute(sql`DELETE FROM popular_products WHERE run_date = ${run.runDate}::date`);
  return queryRows<RankedRow>(
    tx,
    sql`WITH ranked AS (${rankingQuery({ start: toIso(run.windowStart), end: toIso(run.windowEnd) })})
        INSERT INTO popular_products (run_date, rank, run_id, product_id, product_name, price, sales_count)
        SELECT ${run.runDate}::date, s.rank, ${run.id}, p.id, p.name, p.price, s.units
        FROM ranked s JOIN products p ON p.id = s.product_id
        RETURNING rank, product_id AS "productId", product_name AS "name", price, sales_count AS "salesCount"`,
  );
}

/** True when some run exists (a ranking, possibly empty, has been computed). */
export async function anyRunExists(db: Db): Promise<boolean> {
  const rows = await queryRows<{ one: number }>(db, sql`SELECT 1 AS one FROM popular_runs LIMIT 1`);
  return rows.length > 0;
}

/** The latest run and its ranking rows (none when it ranked nothing); undefined before the first run. */
export async function latestRanking(db: Db): Promise<{ run: RunRow; rows: RankedRow[] } | undefined> {
  const found = await queryRows<RunRow & { rank: number | null } & Omit<RankedRow, 'rank'>>(
    db,
    sql`SELECT r.id, r.run_date::text AS "runDate", r.trigger, r.timezone, r.window_start AS "windowStart", r.window_end AS "windowEnd",
               r.computed_at AS "computedAt", p.rank, p.product_id AS "productId", p.product_name AS "name",
               p.price, p.sales_count AS "salesCount"
        FROM (SELECT * FROM popular_runs ORDER BY id DESC LIMIT 1) r
        LEFT JOIN popular_products p ON p.run_date = r.run_date AND p.run_id = r.id
        ORDER BY p.rank`,
  );
  const first = found[0];
  if (!first) return undefined;
  const { id, runDate, trigger, timezone, windowStart, windowEnd, computedAt } = first;
  const rows = found
    .filter((r) => r.rank !== null)
    .map((r) => ({ rank: r.rank!, productId: r.productId, name: r.name, price: r.price, salesCount: r.salesCount }));
  return { run: { id, runDate, trigger, timezone, windowStart, windowEnd, computedAt }, rows };
}
