import { describe, expect, it } from 'vitest';
import { Lru } from './lru.js';

describe('Lru', () => {
  it('keeps at most `max` entries, evicting the least recently used', () => {
    const lru = new Lru<number, string>(2);
    lru.set(1, 'a');
    lru.set(2, 'b');
    expect(lru.get(1)).toBe('a'); // 1 is now the most recent
    lru.set(3, 'c');
    expect(lru.get(2)).toBeUndefined();
    expect(lru.get(1)).toBe('a');
    expect(lru.get(3)).toBe('c');
    expect(lru.size).toBe(2);
  });
});
