import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../platform/db/db.js';
import { cancelExpiredOrders } from './expire-orders.repo.js';

const BATCH = 100;

/**
 * Cancels unpaid orders whose hold has ended, giving back their stock and coupon. It runs in every
 * instance: each batch skips orders another sweeper or a payment holds, so none is cancelled twice
 * and none waits.
 */
export class OrderExpirySweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private log: FastifyBaseLogger | undefined;

  constructor(
    private readonly db: Db,
    private readonly intervalMs: number,
    private readonly onCancelled: (n: number) => void = () => {},
  ) {}

  /** Sweeps every `intervalMs` until stopped; a failed sweep is logged and tried again next time. */
  start(log: FastifyBaseLogger): void {
    this.log = log;
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((err: unknown) => this.log?.warn({ err }, 'order expiry sweep failed; will retry'))
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Cancels every order due now, a batch at a time; returns how many. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await cancelExpiredOrders(this.db, BATCH);
      total += ids.length;
      if (ids.length > 0) {
        this.onCancelled(ids.length);
        this.log?.info({ cancelled: ids.length }, 'cancelled unpaid orders past their hold; stock and coupons released');
      }
      if (ids.length < BATCH) return total;
    }
  }
}

/** Sweep often enough that an order is cancelled soon after its hold ends: a tenth of the hold, 0.2..5 s. */
export function sweepIntervalMs(holdMinutes: number): number {
  return Math.min(5_000, Math.max(200, (holdMinutes * 60_000) / 10));
}
