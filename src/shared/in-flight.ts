/**
 * Counts the work in flight per key, and lets others wait until a key has none. Nothing is
 * refused or reordered: it only tells a caller when the work it depends on has ended.
 */
export class InFlight<K> {
  private readonly keys = new Map<K, { count: number; idle: Array<() => void> }>();

  /** Marks one piece of work for `key` as started; call the returned function once it ends. */
  enter(key: K): () => void {
    let k = this.keys.get(key);
    if (!k) this.keys.set(key, (k = { count: 0, idle: [] }));
    k.count++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (--k.count > 0) return;
      this.keys.delete(key);
      for (const resolve of k.idle) resolve();
    };
  }

  busy(key: K): boolean {
    return this.keys.has(key);
  }

  /** Resolves once `key` has no work in flight (at once if it has none). */
  idle(key: K): Promise<void> {
    const k = this.keys.get(key);
    if (!k) return Promise.resolve();
    return new Promise((resolve) => k.idle.push(resolve));
  }
}
