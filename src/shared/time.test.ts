import { describe, expect, it } from 'vitest';
import { parseInstant, toIso, toIsoOrNull } from './time.js';

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

describe('toIso on the years new Date() misreads', () => {
  it('reads years 0001..0099, BC years and offsets with seconds exactly', () => {
    expect(toIso('0017-03-01 00:00:00+00')).toBe('0017-03-01T00:00:00.000Z');
    expect(toIso('0049-03-01 12:00:00.5+00')).toBe('0049-03-01T12:00:00.500Z');
    expect(toIso('0001-01-01 00:00:00+00 BC')).toBe('0000-01-01T00:00:00.000Z');
    expect(toIso('1900-01-01 00:00:00+08:05:43')).toBe('1899-12-31T15:54:17.000Z');
  });
});

describe('parseInstant', () => {
  const ok = (text: string) => {
    const r = parseInstant(text);
    return r.ok ? r.date.toISOString() : `refused: ${r.problem}`;
  };
  it('reads RFC 3339 with any offset exactly', () => {
    expect(ok('2026-05-01T09:00:00+09:00')).toBe('2026-05-01T00:00:00.000Z');
    expect(ok('2026-05-01T00:00:00.123Z')).toBe('2026-05-01T00:00:00.123Z');
    expect(ok('2026-05-01T00:00:00.123000Z')).toBe('2026-05-01T00:00:00.123Z');
    expect(ok('1970-01-01T00:00:00Z')).toBe('1970-01-01T00:00:00.000Z');
    expect(ok('9999-12-31T23:59:59.999Z')).toBe('9999-12-31T23:59:59.999Z');
    expect(ok('2028-02-29T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });
  it.each([
    ['0017-01-01T00:00:00Z', /between/],
    ['0049-01-01T00:00:00Z', /between/],
    ['0000-01-01T00:00:00Z', /between/],
    ['9999-12-31T23:59:59-23:59', /between/],
    ['1969-12-31T23:59:59.999Z', /between/],
    ['2016-12-31T23:59:60Z', /leap second/],
    ['2026-05-01T00:00:00.0001Z', /millisecond/],
    ['2027-02-29T00:00:00Z', /calendar/],
    ['2026-05-01T24:00:00Z', /time of day/],
    ['2026-05-01T00:00:00+24:00', /offset/],
    ['2026-05-01T00:00:00', /RFC 3339/],
    ['tomorrow', /RFC 3339/],
  ])('refuses %s', (text, problem) => {
    expect(ok(text)).toMatch(problem);
  });
});
