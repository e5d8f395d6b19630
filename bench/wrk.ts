import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startProcess } from './lib.js';

export interface WrkResult {
  rps: number;
  p50: string;
  p99: string;
  requests: number;
  /** CPU time of the server process per request, µs (user + system, from /proc), when its pid was given. */
  cpuUs?: number;
}

const TICK_MS = 10; // USER_HZ = 100 on Linux

/** User + system CPU time of a process so far, ms (Linux only; NaN elsewhere). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return NaN;
  }
}

/** A route for wrk: a fixed path, or paths cycling over `cycle` (a small Lua script; it costs wrk a little per request). */
export interface WrkRoute {
  name: string;
  path: string;
  /** `{}` in `path` is replaced by these values in turn. */
  cycle?: number[];
}

/** True when the `wrk` binary (the Debian package) is installed. */
export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

function cycleScript(pathTemplate: string, values: number[]): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-wrk-')), 'cycle.lua');
  const [before, after] = pathTemplate.split('{}') as [string, string];
  fs.writeFileSync(
    file,
    `local v = {${values.join(',')}}\nlocal n = #v\nlocal i = 0\n` +
      `request = function()\n  i = i % n + 1\n  return wrk.format(nil, "${before}" .. v[i] .. "${after ?? ''}")\nend\n`,
  );
  return file;
}

/** Runs wrk against `baseUrl` + the route and reads requests per second and latency percentiles from its report. */
export function runWrk(
  baseUrl: string,
  route: WrkRoute | string,
  seconds: number,
  pid?: number,
  connections = 50,
  threads = Number(process.env['BENCH_WRK_THREADS'] ?? 1),
): Promise<WrkResult> {
  const r: WrkRoute = typeof route === 'string' ? { name: route, path: route } : route;
  const script = r.cycle ? ['-s', cycleScript(r.path, r.cycle)] : [];
  const url = baseUrl + (r.cycle ? '/' : r.path);
  const cpuBefore = cpuMs(pid);
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', ...script, url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      if (script.length) fs.rmSync(path.dirname(script[1]!), { recursive: true, force: true });
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
      if (!rps || non2xx) return reject(new Error(`wrk ${url}: ${out}`));
      const pct = (p: string) => new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '?';
      const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
      const cpuUs = ((cpuMs(pid) - cpuBefore) * 1000) / requests;
      resolve({ rps: Number(rps[1]), p50: pct('50'), p99: pct('99'), requests, ...(Number.isFinite(cpuUs) ? { cpuUs } : {}) });
    });
  });
}

/** wrk on the bare route alone: its own process, stopped before anything else runs. */
export async function wrkBare(seconds: number): Promise<WrkResult> {
  const bareProc = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], {}, { readyPath: '/hello', inheritEnv: true });
  try {
    return await runWrk(bareProc.baseUrl, '/hello', seconds, bareProc.process.pid);
  } finally {
    await bareProc.stop();
  }
}

/** wrk on the bare Fastify route (a process of its own, stopped before the next run), then on each service route. */
export async function wrkTable(title: string, baseUrl: string, routes: WrkRoute[], seconds: number, pid?: number): Promise<void> {
  const bare = await wrkBare(seconds);
  const cpu = (r: WrkResult) => (r.cpuUs === undefined ? '?' : r.cpuUs.toFixed(0));
  console.log(`\n${title} — wrk, ${seconds}s each, 50 connections`);
  console.log('| route | req/s | p50 | p99 | ratio to bare | server CPU µs/request |');
  console.log('|---|---:|---:|---:|---:|---:|');
  console.log(`| bare Fastify GET /hello | ${Math.round(bare.rps)} | ${bare.p50} | ${bare.p99} | 1.00 | ${cpu(bare)} |`);
  for (const route of routes) {
    const r = await runWrk(baseUrl, route, seconds, pid);
    console.log(`| ${route.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${(r.rps / bare.rps).toFixed(2)} | ${cpu(r)} |`);
  }
}

/** The read routes of the wrk table: the ranking from memory, one product, and products cycling over `productIds`. */
export function wrkReadRoutes(top5Path: string, productIds: number[]): WrkRoute[] {
  return [
    { name: 'GET /products/popular/top5 (from memory)', path: top5Path },
    { name: `GET /products/${productIds[0]} (one id)`, path: `/api/v1/products/${productIds[0]}` },
    { name: `GET /products/:id (${productIds.length} ids, Lua)`, path: '/api/v1/products/{}', cycle: productIds },
  ];
}
