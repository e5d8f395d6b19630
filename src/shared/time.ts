/** The instants the API accepts as input: from the Unix epoch to the last millisecond of year 9999, UTC. */
export const EARLIEST_INSTANT = Date.UTC(1970, 0, 1);
export const LATEST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Milliseconds since the epoch of a UTC calendar time; unlike Date.UTC, years 0..99 are not read as 19xx. */
function utcMillis(year: number, month: number, day: number, h: number, m: number, s: number, ms: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(h, m, s, ms);
  return d.getTime();
}

function daysIn(year: number, month: number): number {
  return new Date(utcMillis(year, month + 1, 0, 0, 0, 0, 0)).getUTCDate();
}

/**
 * Reads an RFC 3339 timestamp (`2026-05-01T09:00:00+09:00`) exactly, or says why it cannot be
 * stored and answered exactly: a leap second, more than millisecond precision, a day the month
 * does not have, or an instant outside 1970..9999 (UTC).
 */
export function parseInstant(text: string): { ok: true; date: Date } | { ok: false; problem: string } {
  const m = RFC3339.exec(text);
  if (!m) return { ok: false, problem: 'must be an RFC 3339 date-time with an offset, e.g. 2026-05-01T09:00:00Z' };
  const [year, month, day, h, min, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = m[7] ?? '';
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return { ok: false, problem: 'is not a date of the calendar' };
  if (s === 60) return { ok: false, problem: 'is a leap second (:60), which cannot be stored; use :59.999 or the next second' };
  if (h > 23 || min > 59 || s > 59) return { ok: false, problem: 'is not a time of day' };
  if (/[1-9]/.test(fraction.slice(3))) return { ok: false, problem: 'has more than millisecond precision' };
  const offsetH = Number(m[10] ?? 0);
  const offsetM = Number(m[11] ?? 0);
  if (offsetH > 23 || offsetM > 59) return { ok: false, problem: 'has an offset beyond ±23:59' };
  const offset = (m[9] === '-' ? -1 : 1) * (offsetH * 60 + offsetM) * 60_000;
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
  const at = utcMillis(year, month, day, h, min, s, ms) - offset;
  if (at < EARLIEST_INSTANT || at > LATEST_INSTANT) {
    return { ok: false, problem: 'must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z' };
  }
  return { ok: true, date: new Date(at) };
}

// PostgreSQL's timestamptz text: `2026-11-28 23:46:17.229+00`, years of 4+ digits, ` BC` before year 1.
const PG_TIMESTAMPTZ = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?( BC)?$/;

/**
 * An ISO-8601 UTC string from what a driver returns for timestamptz: a Date, or PostgreSQL text.
 * Read field by field, never by `new Date(text)`, which misreads years 0001..0099.
 */
export function toIso(value: Date | string): string {
  if (value instanceof Date) return value.toISOString();
  const m = PG_TIMESTAMPTZ.exec(value);
  if (!m) throw new RangeError(`not a timestamp: ${value}`);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // 1 BC is year 0 of the proleptic Gregorian calendar JavaScript uses.
  const year = m[12] ? 1 - y : y;
  const ms = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const offset = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0)) * 1000;
  const date = new Date(utcMillis(year, mo, d, h, mi, s, ms) - offset);
  if (Number.isNaN(date.getTime())) throw new RangeError(`timestamp out of range: ${value}`);
  return date.toISOString();
}

/** Same as toIso, keeping null. */
export function toIsoOrNull(value: Date | string | null): string | null {
  return value === null ? null : toIso(value);
}
