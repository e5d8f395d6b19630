import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import autocannon from 'autocannon';

export interface Proc {
  baseUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a node process listening on a fresh port and waits for `readyPath` to answer. */
export async function startProcess(args: string[], env: Record<string, string>, readyPath: string): Promise<Proc> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited:\n${output}`);
    try {
      if ((await fetch(baseUrl + readyPath)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    baseUrl,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface Result {
  scenario: string;
  rps: number;
  p99: number;
  p50: number;
  errors: number;
  non2xx: number;
  requests: number;
  statuses: Map<number, number>;
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
  const result = await autocannon({
    url: baseUrl,
    connections: s.connections ?? 50,
    ...(s.amount ? { amount: s.amount } : { duration: s.duration ?? 10 }),
    requests: [
      {
        method: s.method ?? 'GET',
        setupRequest: (req) => {
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
          if ((status < 200 || status >= 300) && !expected.has(status)) unexpected++;
        },
      },
    ],
  });
  // Total over wall time: autocannon's per-second average is coarse for short, fixed-count runs.
  const seconds = (new Date(result.finish).getTime() - new Date(result.start).getTime()) / 1000;
  return {
    scenario: s.name,
    rps: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: unexpected,
    requests: result.requests.total,
    statuses,
  };
}

export function printTable(title: string, bare: Result, rows: Result[]): void {
  console.log(`\n${title}`);
  console.log('| scenario | req/s | p50 ms | p99 ms | errors | unexpected status | ratio to bare |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of [bare, ...rows]) {
    console.log(
      `| ${r.scenario} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${(r.rps / bare.rps).toFixed(2)} |`,
    );
  }
}
