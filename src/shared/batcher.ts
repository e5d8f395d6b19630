/** Answers a lookup: `done(null, value)` (`missing` when the key was not found), or `done(error)`. */
export type Done<V> = (err: unknown, value?: V) => void;

export interface BatcherOptions {
  /** Keys per call of `load` (500). */
  maxBatch?: number;
  /** Calls of `load` running at once (unbounded). */
  maxInFlight?: number;
  /** Gets what a {@link Batcher.getWith} callback threw; by default it is thrown again, uncaught, on the next turn. */
  onCallbackError?: (error: unknown) => void;
}

/**
 * Coalesces the lookups asked for in the same turn of the event loop into one call of `load`,
 * so a burst of N requests costs one round trip instead of N. With `maxInFlight`, at most that many
 * calls run at once, and what is asked meanwhile waits to leave together when one ends: under load
 * the batches grow by themselves (fewer round trips, fewer statements for the database to run),
 * while a lone lookup still leaves at once.
 */
export class Batcher<K, V> {
  private queue = new Map<K, Array<Done<V>>>();
  private scheduled = false;
  private inFlight = 0;

  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly onCallbackError: (error: unknown) => void;

  constructor(
    private readonly load: (keys: K[]) => Promise<Map<K, V>>,
    private readonly missing: V,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxInFlight = options.maxInFlight ?? Infinity;
    this.onCallbackError = options.onCallbackError ?? rethrowUncaught;
  }

  get(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => this.getWith(key, (err, value) => (err === null ? resolve(value as V) : reject(err))));
  }

  /**
   * {@link get} answering a callback: no promise per caller (the hottest route uses it). A callback
   * that throws does not keep the other callers of its batch from their answers; what it threw goes
   * to `onCallbackError`.
   */
  getWith(key: K, done: Done<V>): void {
    const waiters = this.queue.get(key);
    if (waiters) waiters.push(done);
    else this.queue.set(key, [done]);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  private flush(): void {
    while (this.queue.size > 0 && this.inFlight < this.maxInFlight) {
      const batch: Array<[K, Array<Done<V>>]> = [];
      for (const entry of this.queue) {
        batch.push(entry);
        this.queue.delete(entry[0]);
        if (batch.length === this.maxBatch) break;
      }
      this.inFlight++;
      this.load(batch.map(([k]) => k))
        .then(
          (found) => this.answer(batch, (k, done) => done(null, found.has(k) ? found.get(k)! : this.missing)),
          (err: unknown) => this.answer(batch, (_, done) => done(err ?? new Error('lookup failed'))),
        )
        .finally(() => {
          this.inFlight--;
          this.flush();
        });
    }
  }

  /** Calls every waiter of a batch, even after one of them threw. */
  private answer(batch: Array<[K, Array<Done<V>>]>, call: (key: K, done: Done<V>) => void): void {
    for (const [key, waiters] of batch) {
      for (const done of waiters) {
        try {
          call(key, done);
        } catch (error) {
          this.onCallbackError(error);
        }
      }
    }
  }
}

function rethrowUncaught(error: unknown): void {
  setImmediate(() => {
    throw error;
  });
}
