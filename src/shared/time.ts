/**
 * An ISO-8601 UTC string from what a driver returns for timestamptz: a Date, or Postgres text such
 * as `2026-11-28 23:46:17.229+00` (connections run in UTC).
 */
export function toIso(value: Date | string): string {
  if (value instanceof Date) return value.toISOString();
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2})(?::?(\d{2}))?$/.exec(value);
  if (!m) {
    const d = new Date(value);
    if (Number.isNaN(d.getTime())) throw new RangeError(`not a timestamp: ${value}`);
    return d.toISOString();
  }
  const fraction = (m[3] ?? '.000').slice(0, 4).padEnd(4, '0');
  return new Date(`${m[1]}T${m[2]}${fraction}${m[4]}:${m[5] ?? '00'}`).toISOString();
}

/** Same as toIso, keeping null. */
export function toIsoOrNull(value: Date | string | null): string | null {
  return value === null ? null : toIso(value);
}
