import { describe, expect, it } from 'vitest';
import { OncePerInterval } from './once-per-interval.js';

describe('OncePerInterval', () => {
  it('reports the first event, then once per interval with the count since', () => {
    const o = new OncePerInterval(1_000);
    expect(o.hit(0)).toBe(1);
    expect(o.hit(10)).toBeUndefined();
    expect(o.hit(999)).toBeUndefined();
    expect(o.hit(1_000)).toBe(3);
    expect(o.hit(1_500)).toBeUndefined();
    expect(o.hit(2_000)).toBe(2);
  });
});
