import { describe, expect, it } from 'vitest';
import { restartDelayMs } from './cluster.js';

describe('restartDelayMs', () => {
  it('replaces a worker that ran well at once, and backs off while one keeps dying at start-up', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map(restartDelayMs)).toEqual([0, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(restartDelayMs(100)).toBe(30_000);
  });
});
