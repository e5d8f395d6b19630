import { describe, expect, it, vi } from 'vitest';
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
    }, false, { maxBatch: 2 });
    const results = await Promise.allSettled([1, 2, 3, 4].map((k) => b.get(k)));
    expect(sizes).toEqual([2, 2]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
  });

  it('runs at most maxInFlight loads at once; what is asked meanwhile leaves together when one ends', async () => {
    const calls: number[][] = [];
    const pending: Array<() => void> = [];
    const b = new Batcher<number, number>(
      (keys) => {
        calls.push(keys);
        return new Promise((resolve) => pending.push(() => resolve(new Map(keys.map((k) => [k, k * 10])))));
      },
      0,
      { maxInFlight: 1 },
    );
    const first = b.get(1);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([[1]]);
    const later = [b.get(2), b.get(3)];
    await new Promise((r) => setImmediate(r));
    const last = b.get(4);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([[1]]); // still one in flight: 2, 3 and 4 wait
    pending.shift()!();
    expect(await first).toBe(10);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([[1], [2, 3, 4]]);
    pending.shift()!();
    expect(await Promise.all([...later, last])).toEqual([20, 30, 40]);
    // Nothing in flight: a lone lookup leaves at once.
    const alone = b.get(5);
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(3);
    pending.shift()!();
    expect(await alone).toBe(50);
  });

  it('answers every caller of a batch even when one callback throws, and hands what it threw to onCallbackError', async () => {
    const thrown: unknown[] = [];
    const b = new Batcher<number, number>(async (keys) => new Map(keys.map((k) => [k, k * 2])), 0, { onCallbackError: (e) => thrown.push(e) });
    const answers: Array<[number, number | undefined]> = [];
    for (const k of [1, 2, 3]) {
      b.getWith(k, (_err, value) => {
        answers.push([k, value]);
        if (k === 1) throw new Error('a caller broke');
      });
    }
    await vi.waitFor(() => expect(answers).toHaveLength(3));
    expect(answers).toEqual([
      [1, 2],
      [2, 4],
      [3, 6],
    ]);
    expect(thrown).toEqual([new Error('a caller broke')]);
  });

  it('answers callbacks with (null, value), and with the error of a failed load', async () => {
    let fail = false;
    const b = new Batcher<number, string>(async (keys) => {
      if (fail) throw new Error('down');
      return new Map(keys.map((k) => [k, `v${k}`]));
    }, 'none');
    const ask = (k: number) => new Promise<[unknown, string | undefined]>((resolve) => b.getWith(k, (err, value) => resolve([err, value])));
    expect(await ask(7)).toEqual([null, 'v7']);
    fail = true;
    expect(await ask(8)).toEqual([new Error('down'), undefined]);
  });
});
