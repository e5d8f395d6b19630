import type { FastifyInstance, onResponseHookHandler, RouteOptions } from 'fastify';
import { Counter, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
type HttpLabels = { method: string; route: string; status: string };

/**
 * The answers of one route pattern, method and status, counted and timed in plain numbers: no
 * allocation and no hashing per request (prom-client hashes the label set on every inc/observe,
 * labelled children included). The registry reads them when /metrics is scraped.
 */
export class RouteTally {
  count = 0;
  exported = 0;
  sum = 0;
  /** Observations per bucket (not cumulative); the last one is above every bound. */
  readonly buckets: number[] = new Array<number>(DURATION_BUCKETS.length + 1).fill(0);

  constructor(readonly labels: HttpLabels) {}

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
    this.buckets[i]!++;
  }
}

/** `http_request_duration_seconds` as prom-client's Histogram would print it, read from the tallies. */
function durationHistogram(tallies: readonly RouteTally[]): Metric {
  const name = 'http_request_duration_seconds';
  const read = async () => {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const t of tallies) {
      let cumulative = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        cumulative += t.buckets[i]!;
        values.push({ metricName: `${name}_bucket`, labels: { le, ...t.labels }, value: cumulative });
      });
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...t.labels }, value: t.count });
      values.push({ metricName: `${name}_sum`, labels: { ...t.labels }, value: t.sum });
      values.push({ metricName: `${name}_count`, labels: { ...t.labels }, value: t.count });
    }
    return { name, help: 'HTTP request latency by method, route and status', type: 'histogram', values, aggregator: 'sum' };
  };
  return { name, get: read, getForPromString: read, reset: () => {} } as unknown as Metric;
}

/** Prometheus metrics of one app: HTTP by route and status, plus the business counters modules add. */
export class Metrics {
  readonly registry = new Registry();
  private readonly tallies: RouteTally[] = [];
  /** Requests counted here directly (answers made before routing) plus the route tallies, added at scrape time. */
  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
    collect: () => {
      for (const t of this.tallies) {
        if (t.count > t.exported) this.httpRequests.inc(t.labels, t.count - t.exported);
        t.exported = t.count;
      }
    },
  });
  readonly balanceCharges = new Counter({
    name: 'balance_charges_total',
    help: 'Balance charges that succeeded',
    registers: [this.registry],
  });
  readonly balanceChargedWon = new Counter({
    name: 'balance_charged_won_total',
    help: 'Won added to balances by charges',
    registers: [this.registry],
  });
  readonly couponIssues = new Counter({
    name: 'coupon_issue_requests_total',
    help: 'Coupon issue requests by outcome and where they were decided: memo (known sold out), gate, or database',
    labelNames: ['result', 'decided_by'] as const,
    registers: [this.registry],
  });

  constructor() {
    this.registry.registerMetric(durationHistogram(this.tallies));
    collectDefaultMetrics({ register: this.registry });
  }

  /** A new tally for the answers with these labels (see RouteTally). */
  tally(labels: HttpLabels): RouteTally {
    const t = new RouteTally(labels);
    this.tallies.push(t);
    return t;
  }
}

/**
 * The onResponse hook of one route pattern: counts and times its answers in a tally per method and
 * status, found in two small maps, so a request allocates nothing here (reading
 * `request.routeOptions` would build an object on each access).
 */
function recorder(metrics: Metrics, route: string): onResponseHookHandler {
  const byMethod = new Map<string, Map<number, RouteTally>>();
  return (request, reply, done) => {
    let byStatus = byMethod.get(request.method);
    if (byStatus === undefined) byMethod.set(request.method, (byStatus = new Map()));
    const status = reply.statusCode;
    let tally = byStatus.get(status);
    if (tally === undefined) {
      tally = metrics.tally({ method: request.method, route, status: String(status) });
      byStatus.set(status, tally);
    }
    tally.observe(reply.elapsedTime / 1000);
    done();
  };
}

/**
 * Counts and times every request under its route pattern (never the raw URL: ids would explode
 * it). Call it before any route is added: each route gets its own hook, labelled with its pattern.
 * Returns the hook for the answers of the not-found handler (label "unmatched").
 */
export function installMetrics(app: FastifyInstance, metrics: Metrics): { unmatched: onResponseHookHandler } {
  app.addHook('onRoute', (route: RouteOptions) => {
    const own = route.onResponse === undefined ? [] : Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse];
    route.onResponse = [...own, recorder(metrics, route.url)];
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return { unmatched: recorder(metrics, 'unmatched') };
}
