import { sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/db.js';
import { localDate } from '../../shared/local-date.js';
import { toIso } from '../../shared/time.js';
import { anyRunExists, insertRun, lockBatch, replaceRanking, type RankedRow, type RunRow } from './popular.repo.js';
import type { PopularTrigger } from './popular.tables.js';

export interface PopularProductView {
  rank: number;
  productId: number;
  name: string;
  price: number;
  salesCount: number;
}

/** One computed ranking: which run, for which date and window, and its 0..5 products. */
export interface RankingView {
  runId: number;
  runDate: string;
  timezone: string;
  windowStart: string;
  windowEnd: string;
  computedAt: string;
  trigger: PopularTrigger;
  ranking: PopularProductView[];
}

/** The view of a run and its rows, built only from values the database returned as typed columns. */
export function toRankingView(run: RunRow, rows: RankedRow[]): RankingView {
  return {
    runId: run.id,
    runDate: run.runDate,
    timezone: run.timezone,
    windowStart: toIso(run.windowStart),
    windowEnd: toIso(run.windowEnd),
    computedAt: toIso(run.computedAt),
    trigger: run.trigger,
    ranking: rows.map(({ rank, productId, name, price, salesCount }) => ({ rank, productId, name, price, salesCount })),
  };
}

export interface BatchOptions {
  timezone: string;
  /** The clock that decides "today"; tests pass a fixed one. */
  now?: () => Date;
}

/**
 * The ranking batch. Every run is one transaction that first waits for an advisory lock, so runs
 * of all instances (schedule, admin, command line, start-up) take turns and their ids follow their
 * commit order; a re-run of a date replaces that date's ranking.
 */
export class PopularBatch {
  private readonly now: () => Date;

  constructor(
    private readonly db: Db,
    private readonly opts: BatchOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  /** Today's date in the configured zone: the default run date. */
  today(): string {
    return localDate(this.now(), this.opts.timezone);
  }

  /** Runs the batch for `runDate` (default today); a scheduled run answers undefined when today's already ran. */
  run(trigger: 'MANUAL' | 'SCHEDULE', runDate: string = this.today()): Promise<RankingView | undefined> {
    return this.inBatchTransaction(async (tx) => {
      const run = await insertRun(tx, runDate, this.opts.timezone, trigger);
      if (!run) return undefined;
      return toRankingView(run, await replaceRanking(tx, run));
    });
  }

  /** Computes today's ranking if no run exists at all (start-up); undefined when one does. */
  ensure(): Promise<RankingView | undefined> {
    return this.inBatchTransaction(async (tx) => {
      if (await anyRunExists(tx)) return undefined;
      const run = (await insertRun(tx, this.today(), this.opts.timezone, 'STARTUP'))!;
      return toRankingView(run, await replaceRanking(tx, run));
    });
  }

  private inBatchTransaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.db.transaction(async (txRaw) => {
      const tx = txRaw as unknown as Db;
      // The pool's 15 s statement limit is for requests; the batch may wait for another run, then scan.
      await tx.execute(sql`SET LOCAL statement_timeout = '120s'`);
      await lockBatch(tx);
      return work(tx);
    });
  }
}
