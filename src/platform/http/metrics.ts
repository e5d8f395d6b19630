import type { FastifyInstance, onResponseHookHandler, RouteOptions } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one app: HTTP by route and status, plus the business counters modules add. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
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
    collectDefaultMetrics({ register: this.registry });
  }
}

type Child = { count: Counter.Internal; time: Histogram.Internal<'method' | 'route' | 'status'> };

/**
 * The onResponse hook of one route pattern: counts and times its answers. The labelled prom-client
 * children are made once per method and status and then found in two small maps, so a request
 * allocates nothing here (prom-client would hash a label object on every inc/observe, and reading
 * `request.routeOptions` builds an object on each access).
 */
function recorder(metrics: Metrics, route: string): onResponseHookHandler {
  const byMethod = new Map<string, Map<number, Child>>();
  return (request, reply, done) => {
    let byStatus = byMethod.get(request.method);
    if (byStatus === undefined) byMethod.set(request.method, (byStatus = new Map()));
    const status = reply.statusCode;
    let child = byStatus.get(status);
    if (child === undefined) {
      const labels = { method: request.method, route, status: String(status) };
      child = { count: metrics.httpRequests.labels(labels), time: metrics.httpDuration.labels(labels) };
      byStatus.set(status, child);
    }
    child.count.inc();
    child.time.observe(reply.elapsedTime / 1000);
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
