import { Counter } from 'prom-client';
import type { AppContext } from '../../platform/context.js';
import { RankingCache } from './popular.cache.js';
import { noNotifier, RedisRunNotifier, type RunNotifier } from './popular.notifier.js';
import { PopularBatch, type RankingView } from './popular.service.js';

/** Where the capability reports trouble that it survives (app.log fits). */
export interface WarnLog {
  warn(obj: object, msg: string): void;
}

export interface PopularOptions {
  /** How often each instance re-reads the latest run, in case a message was missed. */
  refreshMs: number;
  now?: () => Date;
}

/**
 * The capability as one object: runs the batch (and makes its result served here at once and
 * announced to the other instances), and keeps the in-memory ranking in step with the database.
 */
export class PopularProducts {
  readonly cache: RankingCache;
  private readonly batch: PopularBatch;
  private readonly notifier: RunNotifier;
  private readonly runs: Counter<'trigger' | 'outcome'>;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;

  constructor(
    ctx: AppContext,
    private readonly log: WarnLog,
    private readonly opts: PopularOptions,
  ) {
    this.cache = new RankingCache(ctx.db);
    this.batch = new PopularBatch(ctx.db, { timezone: ctx.config.timezone, ...(opts.now ? { now: opts.now } : {}) });
    const onError = (err: unknown) => log.warn({ err }, 'popular ranking: Redis subscription failed');
    this.notifier = ctx.redis ? new RedisRunNotifier(ctx.redis.client, onError) : noNotifier;
    this.runs = new Counter({
      name: 'popular_batch_runs_total',
      help: 'Popular-products batch runs by trigger and outcome (computed, skipped: another instance ran it, failed)',
      labelNames: ['trigger', 'outcome'] as const,
      registers: [ctx.metrics.registry],
    });
  }

  /** Today's date in TIMEZONE: the run date of a run that names none. */
  today(): string {
    return this.batch.today();
  }

  /** Runs the batch now for `date` (default today in TIMEZONE): the admin route and the command line. */
  async runNow(date?: string): Promise<RankingView> {
    const view = await this.counted('MANUAL', () => this.batch.run('MANUAL', date));
    return this.published(view!);
  }

  /** The schedule's run: once per day across instances; undefined when another instance ran it. */
  async runScheduled(): Promise<RankingView | undefined> {
    const view = await this.counted('SCHEDULE', () => this.batch.run('SCHEDULE'));
    return view && this.published(view);
  }

  /** At start-up: computes a ranking if none was ever computed; undefined when one exists. */
  async ensureRanking(): Promise<RankingView | undefined> {
    const view = await this.counted('STARTUP', () => this.batch.ensure());
    return view && this.published(view);
  }

  /** Loads the latest ranking, then follows new runs (Redis messages, and a periodic check). */
  async start(): Promise<void> {
    await this.refresh();
    this.notifier.listen(() => void this.refresh());
    this.timer = setInterval(() => void this.refresh(), this.opts.refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.notifier.close();
    await this.refreshing;
  }

  /** One read at a time; a hint arriving during a read triggers one more, since that read may predate the run. */
  private refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        await this.cache.refresh().catch((err: unknown) => this.log.warn({ err }, 'popular ranking: refresh failed'));
      } while (this.refreshAgain);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async counted<T>(trigger: string, run: () => Promise<T | undefined>): Promise<T | undefined> {
    try {
      const result = await run();
      this.runs.inc({ trigger, outcome: result ? 'computed' : 'skipped' });
      return result;
    } catch (err) {
      this.runs.inc({ trigger, outcome: 'failed' });
      throw err;
    }
  }

  /** After the commit: served here at once, then announced; neither can fail the run. */
  private async published(view: RankingView): Promise<RankingView> {
    this.cache.install(view);
    // Awaited (at most the Redis command timeout) so a command-line run announces before it exits.
    await this.notifier.publish(view.runId).catch((err: unknown) => this.log.warn({ err }, 'popular ranking: could not announce the run'));
    return view;
  }
}
