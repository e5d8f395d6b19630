import { describe, expect, it } from 'vitest';
import { InFlight } from './in-flight.js';

describe('InFlight', () => {
  it('is idle at once for a key with nothing in flight', async () => {
    const f = new InFlight<number>();
    expect(f.busy(1)).toBe(false);
    await f.idle(1);
  });

  it('resolves the waiters of a key when its last piece of work ends, and only then', async () => {
    const f = new InFlight<number>();
    const a = f.enter(1);
    const b = f.enter(1);
    const other = f.enter(2);
    let idle = false;
    const waiting = f.idle(1).then(() => (idle = true));
    a();
    a(); // a second call of the same leave counts once
    await Promise.resolve();
    expect(idle).toBe(false);
    expect(f.busy(1)).toBe(true);
    b();
    await waiting;
    expect(idle).toBe(true);
    expect(f.busy(1)).toBe(false);
    expect(f.busy(2)).toBe(true);
    other();
    expect(f.busy(2)).toBe(false);
  });
});
