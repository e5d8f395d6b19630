import autocannon from 'autocannon';
import { serviceArgs, startProcess, type Instance } from '../test/helpers/instances.js';

export { serviceArgs, startProcess };

/** The yardstick (bench/bare-server.ts) in a process of its own, with the service's V8 flags too. */
export function startBareServer(): Promise<Instance> {
  return startProcess(serviceArgs('bench/bare-server.ts', ['--import', 'tsx']), {}, { readyPath: '/hello', inheritEnv: true });
}

export interface Result {
  scenario: string;
  rps: number;
  p99: number;
  p50: number;
  max: number;
  errors: number;
  non2xx: number;
  requests: number;
  statuses: Map<number, number>;
  /** The bare route's req/s measured right before this scenario, when it was. */
  bareRps?: number;
}

export interface Scenario {
  name: string;
  method?: 'GET' | 'POST' | 'PUT';
  /** Path of the i-th request (called once per request). */
  path: (i: number) => string;
  body?: (i: number) => unknown;
  headers?: Record<string, string>;
  /** Status codes that count as success besides 2xx (e.g. 409 SOLD_OUT in a stampede). */
  expected?: number[];
  connections?: number;
  duration?: number;
  amount?: number;
}

/** Runs one autocannon scenario and summarizes it. */
export async function runScenario(baseUrl: string, s: Scenario): Promise<Result> {
  let i = 0;
  const expected = new Set(s.expected ?? []);
  let unexpected = 0;
  const statuses = new Map<number, number>();
  // Timed from the first request sent to the last response: autocannon ends runs on a 1 s tick.
  let first = 0;
  let last = 0;
  const result = await autocannon({
    url: baseUrl,
    connections: s.connections ?? 50,
    ...(s.amount ? { amount: s.amount } : { duration: s.duration ?? 10 }),
    requests: [
      {
        method: s.method ?? 'GET',
        setupRequest: (req) => {
          if (first === 0) first = performance.now();
          const n = i++;
          const body = s.body?.(n);
          return {
            ...req,
            path: s.path(n),
            ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...s.headers } }),
          };
        },
        onResponse: (status) => {
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          last = performance.now();
          if ((status < 200 || status >= 300) && !expected.has(status)) unexpected++;
        },
      },
    ],
  });
  const answered = [...statuses.values()].reduce((a, b) => a + b, 0);
  return {
    scenario: s.name,
    rps: answered / ((last - first) / 1000),
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: unexpected,
    requests: result.requests.total,
    statuses,
  };
}

export function printTable(title: string, bare: Result, rows: Result[]): void {
  console.log(`\n${title}`);
  console.log('| scenario | req/s | p50 ms | p99 ms | errors | unexpected status | bare req/s right before | ratio to bare |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of [bare, ...rows]) {
    const yardstick = r.bareRps ?? bare.rps;
    console.log(
      `| ${r.scenario} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${Math.round(yardstick)} | ${(r.rps / yardstick).toFixed(2)} |`,
    );
  }
}
