type Waiter<V> = { resolve: (v: V) => void; reject: (e: unknown) => void };

/**
 * Coalesces the lookups asked for in the same turn of the event loop into one call of `load`,
 * so a burst of N requests costs one round trip instead of N. With `maxInFlight`, at most that many
 * calls run at once, and what is asked meanwhile waits to leave together when one ends: under load
 * the batches grow by themselves (fewer round trips, fewer statements for the database to run),
 * while a lone lookup still leaves at once.
 */
export class Batcher<K, V> {
  private queue = new Map<K, Array<Waiter<V>>>();
  private scheduled = false;
  private inFlight = 0;

  constructor(
    private readonly load: (keys: K[]) => Promise<Map<K, V>>,
    private readonly missing: V,
    private readonly maxBatch = 500,
    private readonly maxInFlight = Infinity,
  ) {}

  get(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiters = this.queue.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.queue.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    while (this.queue.size > 0 && this.inFlight < this.maxInFlight) {
      const batch: Array<[K, Array<Waiter<V>>]> = [];
      for (const entry of this.queue) {
        batch.push(entry);
        this.queue.delete(entry[0]);
        if (batch.length === this.maxBatch) break;
      }
      this.inFlight++;
      this.load(batch.map(([k]) => k))
        .then(
          (found) => batch.forEach(([k, ws]) => ws.forEach((w) => w.resolve(found.has(k) ? found.get(k)! : this.missing))),
          (err: unknown) => batch.forEach(([, ws]) => ws.forEach((w) => w.reject(err))),
        )
        .finally(() => {
          this.inFlight--;
          this.flush();
        });
    }
  }
}
