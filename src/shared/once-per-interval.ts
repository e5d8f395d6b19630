/**
 * Counts a recurring event and says when to report it: at most once per interval, with how many
 * happened since the last report. Keeps an overload from writing a log line per request.
 */
export class OncePerInterval {
  private count = 0;
  private last = -Infinity;

  constructor(private readonly intervalMs: number) {}

  /** Counts one event; returns the number to report when a report is due, else undefined. */
  hit(now: number = Date.now()): number | undefined {
    this.count++;
    if (now - this.last < this.intervalMs) return undefined;
    const n = this.count;
    this.count = 0;
    this.last = now;
    return n;
  }
}
