/**
 * Coalesces the lookups asked for in the same turn of the event loop into one call of `load`,
 * so a burst of N requests costs one round trip instead of N.
 */
export class Batcher<K, V> {
  private queue = new Map<K, Array<{ resolve: (v: V) => void; reject: (e: unknown) => void }>>();
  private scheduled = false;

  constructor(
    private readonly load: (keys: K[]) => Promise<Map<K, V>>,
    private readonly missing: V,
    private readonly maxBatch = 500,
  ) {}

  get(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiters = this.queue.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.queue.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = [...this.queue];
    this.queue = new Map();
    for (let i = 0; i < all.length; i += this.maxBatch) {
      const batch = all.slice(i, i + this.maxBatch);
      this.load(batch.map(([k]) => k)).then(
        (found) => batch.forEach(([k, ws]) => ws.forEach((w) => w.resolve(found.has(k) ? found.get(k)! : this.missing))),
        (err: unknown) => batch.forEach(([, ws]) => ws.forEach((w) => w.reject(err))),
      );
    }
  }
}
