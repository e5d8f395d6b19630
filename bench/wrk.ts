import { spawn, spawnSync } from 'node:child_process';
import { startProcess } from './lib.js';

export interface WrkResult {
  rps: number;
  p50: string;
  p99: string;
}

/** True when the `wrk` binary (the Debian package) is installed. */
export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

/** Runs wrk against `url` and reads requests per second and latency percentiles from its report. */
export function runWrk(url: string, seconds: number, connections = 50, threads = Number(process.env['BENCH_WRK_THREADS'] ?? 1)): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
      if (!rps || non2xx) return reject(new Error(`wrk ${url}: ${out}`));
      const pct = (p: string) => new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '?';
      resolve({ rps: Number(rps[1]), p50: pct('50'), p99: pct('99') });
    });
  });
}

/** wrk on the bare Fastify route (a process of its own, stopped before the next run), then on each service path. */
export async function wrkTable(title: string, baseUrl: string, paths: Array<[string, string]>, seconds: number): Promise<void> {
  const bareProc = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], {}, { readyPath: '/hello', inheritEnv: true });
  let bare: WrkResult;
  try {
    bare = await runWrk(`${bareProc.baseUrl}/hello`, seconds);
  } finally {
    await bareProc.stop();
  }
  console.log(`\n${title} — wrk, ${seconds}s each, 50 connections`);
  console.log('| route | req/s | p50 | p99 | ratio to bare |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(`| bare Fastify GET /hello | ${Math.round(bare.rps)} | ${bare.p50} | ${bare.p99} | 1.00 |`);
  for (const [name, path] of paths) {
    const r = await runWrk(baseUrl + path, seconds);
    console.log(`| ${name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${(r.rps / bare.rps).toFixed(2)} |`);
  }
}
