import { describe, expect, it } from 'vitest';
import { localDate } from './local-date.js';

describe('localDate', () => {
  it('puts the same instant on different days in Seoul and UTC', () => {
    const instant = new Date('2026-03-09T20:00:00Z');
    expect(localDate(instant, 'Asia/Seoul')).toBe('2026-03-10');
    expect(localDate(instant, 'UTC')).toBe('2026-03-09');
  });

  it('changes day exactly at local midnight', () => {
    expect(localDate(new Date('2026-03-09T14:59:59.999Z'), 'Asia/Seoul')).toBe('2026-03-09');
    expect(localDate(new Date('2026-03-09T15:00:00.000Z'), 'Asia/Seoul')).toBe('2026-03-10');
  });

  it('follows daylight saving time', () => {
    // New York is UTC-5 in winter and UTC-4 from 2026-03-08.
    expect(localDate(new Date('2026-03-07T04:59:59Z'), 'America/New_York')).toBe('2026-03-06');
    expect(localDate(new Date('2026-03-07T05:00:00Z'), 'America/New_York')).toBe('2026-03-07');
    expect(localDate(new Date('2026-03-10T03:59:59Z'), 'America/New_York')).toBe('2026-03-09');
    expect(localDate(new Date('2026-03-10T04:00:00Z'), 'America/New_York')).toBe('2026-03-10');
  });
});
