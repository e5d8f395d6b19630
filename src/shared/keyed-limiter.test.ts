import { describe, expect, it } from 'vitest';
import { KeyedLimiter } from './keyed-limiter.js';

describe('KeyedLimiter', () => {
  it('lets `limit` holders of a key in at once, the next in arrival order, other keys freely', async () => {
    const limiter = new KeyedLimiter(2);
    const order: string[] = [];
    const a1 = await limiter.acquire([1]);
    const a2 = await limiter.acquire([1]);
    const waiting = [3, 4].map((n) => limiter.acquire([1]).then((release) => (order.push(`a${n}`), release)));
    const other = await limiter.acquire([2]);
    order.push('b');
    a1();
    const r3 = await waiting[0]!;
    a2();
    const r4 = await waiting[1]!;
    expect(order).toEqual(['b', 'a3', 'a4']);
    [r3, r4, other].forEach((r) => r());
  });

  it('takes several keys in ascending order, so crosswise callers do not wait on each other', async () => {
    const limiter = new KeyedLimiter(1);
    const first = limiter.acquire([5, 3]);
    const second = limiter.acquire([3, 5]);
    // Had the first taken 5 and the second 3, each would wait for the other's key forever.
    (await first)();
    (await second)();
    expect((limiter as unknown as { slots: Map<number, unknown> }).slots.size).toBe(0);
  });

  it('releases once even when called twice, and forgets idle keys', async () => {
    const limiter = new KeyedLimiter(1);
    const r = await limiter.acquire([7]);
    r();
    r();
    const again = await limiter.acquire([7]);
    again();
    expect((limiter as unknown as { slots: Map<number, unknown> }).slots.size).toBe(0);
  });
});
