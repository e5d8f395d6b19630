import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

describe('Batcher', () => {
  it('answers lookups made together with one load, duplicates included', async () => {
    const calls: number[][] = [];
    const b = new Batcher<number, boolean>(async (keys) => {
      calls.push(keys);
      return new Map(keys.filter((k) => k % 2 === 0).map((k) => [k, true]));
    }, false);
    const answers = await Promise.all([1, 2, 3, 4, 2].map((k) => b.get(k)));
    expect(answers).toEqual([false, true, false, true, true]);
    expect(calls).toEqual([[1, 2, 3, 4]]);
    expect(await b.get(6)).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it('splits large bursts and passes a failure to every waiter of its batch', async () => {
    const sizes: number[] = [];
    const b = new Batcher<number, boolean>(async (keys) => {
      sizes.push(keys.length);
      if (keys.includes(3)) throw new Error('down');
      return new Map();
    }, false, 2);
    const results = await Promise.allSettled([1, 2, 3, 4].map((k) => b.get(k)));
    expect(sizes).toEqual([2, 2]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
  });
});
