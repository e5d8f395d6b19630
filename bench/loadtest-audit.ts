import type { AuditLine } from '../test/helpers/shop.js';

/** What one request ended as: its route, HTTP status (0 when no answer came) and error code. */
export interface Outcome {
  route: string;
  status: number;
  code: string | undefined;
  ms: number;
  at: number;
}

/** Latencies and answers per route, and answers by status and code, of a whole run. */
export class Recorder {
  /** When the traffic began (the progress lines count from it). */
  started = Date.now();
  private readonly byRoute = new Map<string, number[]>();
  readonly codes = new Map<string, number>();
  /** Answers between a fault's start and the service's recovery. */
  readonly faultCodes = new Map<string, number>();
  faultWindow: { from: number; to: number | undefined } | undefined;
  total = 0;

  add(o: Outcome): void {
    this.total++;
    let list = this.byRoute.get(o.route);
    if (!list) this.byRoute.set(o.route, (list = []));
    list.push(o.ms);
    const key = label(o.status, o.code);
    if (o.status < 200 || o.status >= 300) this.codes.set(key, (this.codes.get(key) ?? 0) + 1);
    const w = this.faultWindow;
    if (w && o.at >= w.from && (w.to === undefined || o.at <= w.to)) this.faultCodes.set(key, (this.faultCodes.get(key) ?? 0) + 1);
  }

  routes(seconds: number): Array<{ route: string; requests: number; rps: number; p50: number; p99: number }> {
    return [...this.byRoute.entries()]
      .map(([route, ms]) => {
        const sorted = [...ms].sort((a, b) => a - b);
        const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
        return { route, requests: ms.length, rps: ms.length / seconds, p50: q(0.5), p99: q(0.99) };
      })
      .sort((a, b) => b.requests - a.requests);
  }
}

/** `200`, `409 COUPON_SOLD_OUT`, `503 SERVICE_UNAVAILABLE`, `no answer (ECONNREFUSED)`. */
export function label(status: number, code: string | undefined): string {
  if (status === 0) return `no answer (${code ?? 'network'})`;
  return code ? `${status} ${code}` : String(status);
}

/**
 * SPEC invariant 4 at the data platform: every PAID order exactly once among the events it holds
 * (already deduplicated by eventId), and no event for an order that is not PAID.
 */
export function dataPlatformAudit(paidOrderIds: number[], events: Array<{ orderId: number }>): AuditLine & { missing: number; doubled: number; notPaid: number } {
  const paid = new Set(paidOrderIds);
  const seen = new Map<number, number>();
  for (const e of events) seen.set(e.orderId, (seen.get(e.orderId) ?? 0) + 1);
  const missing = paidOrderIds.filter((id) => !seen.has(id)).length;
  const doubled = [...seen.entries()].filter(([id, n]) => paid.has(id) && n > 1).length;
  const notPaid = [...seen.keys()].filter((id) => !paid.has(id)).length;
  const n = (x: number) => x.toLocaleString('en-US');
  return {
    invariant: 'data platform',
    ok: missing === 0 && doubled === 0 && notPaid === 0,
    text: `${n(paid.size)} PAID orders, ${n(events.length)} events, ${n(missing)} missing, ${n(doubled)} doubled, ${n(notPaid)} for orders not PAID`,
    missing,
    doubled,
    notPaid,
  };
}

/**
 * What the clients were told against what the database holds: each key retried until it got a
 * definitive answer took effect once; a key never answered (every try failed) may have, or not.
 */
export function answersAudit(
  what: string,
  answered: number,
  unanswered: number,
  inDatabase: number,
  detail = '',
): AuditLine {
  const n = (x: number) => x.toLocaleString('en-US');
  const ok = inDatabase >= answered && inDatabase <= answered + unanswered;
  return {
    invariant: what,
    ok,
    text: `${n(answered)} answered, ${n(inDatabase)} in the database${unanswered ? ` (${n(unanswered)} never answered)` : ''}${detail}`,
  };
}

/** The one-screen report. */
export function formatReport(opts: {
  title: string;
  seconds: number;
  recorder: Recorder;
  audit: AuditLine[];
  notes: string[];
}): string {
  const { recorder: r } = opts;
  const out: string[] = [];
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  out.push(`== ${opts.title}: ${n(r.total)} requests in ${opts.seconds.toFixed(0)} s, ${n(r.total / opts.seconds)}/s`);
  out.push('route                          requests    req/s    p50 ms    p99 ms');
  for (const x of r.routes(opts.seconds)) {
    out.push(`${x.route.padEnd(30)} ${n(x.requests).padStart(8)} ${x.rps.toFixed(1).padStart(8)} ${x.p50.toFixed(0).padStart(9)} ${x.p99.toFixed(0).padStart(9)}`);
  }
  const codes = [...r.codes.entries()].sort((a, b) => b[1] - a[1]);
  out.push(`answers other than 2xx: ${codes.length ? codes.map(([k, v]) => `${k} x${n(v)}`).join(', ') : 'none'}`);
  if (r.faultWindow) {
    const f = [...r.faultCodes.entries()].sort((a, b) => b[1] - a[1]);
    const fivexx = f.filter(([k]) => k.startsWith('5')).reduce((s, [, v]) => s + v, 0);
    const five00 = f.filter(([k]) => k.startsWith('500')).reduce((s, [, v]) => s + v, 0);
    out.push(`during the fault: ${f.map(([k, v]) => `${k} x${n(v)}`).join(', ') || 'no requests'} (5xx: ${n(fivexx)}, of them 500: ${n(five00)})`);
  }
  for (const note of opts.notes) out.push(note);
  for (const a of opts.audit) out.push(`${a.ok ? 'ok  ' : 'FAIL'} ${a.invariant}: ${a.text}`);
  const failed = opts.audit.filter((a) => !a.ok).length;
  out.push(failed === 0 ? `audit passed: ${opts.audit.length} checks` : `AUDIT FAILED: ${failed} of ${opts.audit.length} checks`);
  return out.join('\n');
}
