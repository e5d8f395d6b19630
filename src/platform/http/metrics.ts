import type { FastifyInstance } from 'fastify';
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

/** Counts and times every request under its route pattern (never the raw URL: ids would explode it). */
export function installMetrics(app: FastifyInstance, metrics: Metrics): void {
  // One labelled child per method, status and route, found by a string key: prom-client hashes the
  // label object on every inc/observe otherwise, a measurable share of a request served from memory.
  const children = new Map<string, { count: Counter.Internal; time: Histogram.Internal<'method' | 'route' | 'status'> }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = children.get(key);
    if (!child) {
      const labels = { method: request.method, route, status: String(reply.statusCode) };
      child = { count: metrics.httpRequests.labels(labels), time: metrics.httpDuration.labels(labels) };
      children.set(key, child);
    }
    child.count.inc();
    child.time.observe(reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
