import { describe, expect, it } from 'vitest';
import { Combiner } from './combiner.js';

describe('Combiner', () => {
  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('sends what one turn of the event loop submitted while a place is free, then gathers what waits into batches of at most maxBatch', async () => {
    const gates: Array<() => void> = [];
    const batches: number[][] = [];
    const c = new Combiner<number, number>(
      async (inputs) => {
        batches.push(inputs);
        const d = deferred();
        gates.push(d.resolve);
        await d.promise;
        return inputs.map((i) => ({ status: 'fulfilled', value: i * 10 }));
      },
      2,
      3,
    );
    const first = c.submit(0);
    await new Promise((r) => setImmediate(r));
    // Alone in its turn: it leaves alone.
    expect(batches).toEqual([[0]]);
    const answers = [first, ...Array.from({ length: 8 }, (_, i) => c.submit(i + 1))];
    expect(batches).toEqual([[0]]);
    await new Promise((r) => setImmediate(r));
    // The same turn's submissions leave together, into the one free place.
    expect(batches).toEqual([[0], [1, 2, 3]]);
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[0], [1, 2, 3], [4, 5, 6]]);
    while (gates.length) {
      gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(answers)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80]);
    expect(batches).toEqual([[0], [1, 2, 3], [4, 5, 6], [7, 8]]);
  });

  it('fails only the items the batch says failed, and every item when the batch itself fails', async () => {
    const c = new Combiner<number, number>(
      async (inputs) => {
        if (inputs.includes(99)) throw new Error('batch down');
        return inputs.map((i) => (i < 0 ? { status: 'rejected', reason: new Error(`bad ${i}`) } : { status: 'fulfilled', value: i }));
      },
      1,
      10,
    );
    const a = c.submit(1);
    const b = c.submit(-2);
    const d = c.submit(3);
    expect(await a).toBe(1);
    await expect(b).rejects.toThrow('bad -2');
    expect(await d).toBe(3);
    await expect(c.submit(99)).rejects.toThrow('batch down');
    expect(await c.submit(4)).toBe(4);
  });
});
