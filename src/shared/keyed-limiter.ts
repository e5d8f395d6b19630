/**
 * At most `limit` holders per key at once; the rest wait in arrival order. Several keys are always
 * taken in ascending order, so two callers never wait on each other crosswise.
 */
export class KeyedLimiter {
  private readonly slots = new Map<number, { held: number; waiting: Array<() => void> }>();

  constructor(private readonly limit: number) {}

  /** Waits for a place under every key; the returned function gives them all back. */
  async acquire(keys: number[]): Promise<() => void> {
    const sorted = [...new Set(keys)].sort((a, b) => a - b);
    for (const key of sorted) await this.take(key);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const key of sorted) this.give(key);
    };
  }

  private take(key: number): Promise<void> | void {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { held: 0, waiting: [] };
      this.slots.set(key, slot);
    }
    if (slot.held < this.limit) {
      slot.held++;
      return;
    }
    const s = slot;
    return new Promise((resolve) => s.waiting.push(resolve));
  }

  private give(key: number): void {
    const slot = this.slots.get(key)!;
    const next = slot.waiting.shift();
    if (next) return next(); // the place passes straight to the next waiter
    slot.held--;
    if (slot.held === 0) this.slots.delete(key);
  }
}
