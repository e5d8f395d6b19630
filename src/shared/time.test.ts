import { describe, expect, it } from 'vitest';
import { toIso, toIsoOrNull } from './time.js';

describe('toIso', () => {
  it('reads Postgres timestamptz text in UTC', () => {
    expect(toIso('2026-11-28 23:46:17.229405+00')).toBe('2026-11-28T23:46:17.229Z');
    expect(toIso('2026-11-28 23:46:17.2+00')).toBe('2026-11-28T23:46:17.200Z');
    expect(toIso('2026-11-28 23:46:17+00')).toBe('2026-11-28T23:46:17.000Z');
  });
  it('applies a non-UTC offset', () => {
    expect(toIso('2026-11-29 08:46:17.229+09')).toBe('2026-11-28T23:46:17.229Z');
    expect(toIso('2026-11-28 18:16:17+05:30')).toBe('2026-11-28T12:46:17.000Z');
  });
  it('passes Dates and null through', () => {
    expect(toIso(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(toIsoOrNull(null)).toBeNull();
  });
  it('rejects what is not a time', () => {
    expect(() => toIso('yesterday')).toThrow(RangeError);
  });
});
