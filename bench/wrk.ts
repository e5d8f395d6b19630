import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBareServer, type Scenario } from './lib.js';

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

/** A route for wrk: a fixed path, or paths cycling over `cycle` (a small Lua script that picks the next of its pre-formatted requests). */
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

/** The requests are formatted once, in init() (wrk sets the Host header after the top level has run): per request wrk only picks the next. */
function cycleScript(pathTemplate: string, values: number[]): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-wrk-')), 'cycle.lua');
  const [before, after] = pathTemplate.split('{}') as [string, string];
  fs.writeFileSync(
    file,
    `local v = {${values.join(',')}}\nlocal r = {}\nlocal n = #v\nlocal i = 0\n` +
      `function init(args)\n  for k = 1, n do r[k] = wrk.format(nil, "${before}" .. v[k] .. "${after ?? ''}") end\nend\n` +
      `request = function()\n  i = i % n + 1\n  return r[i]\nend\n`,
  );
  return file;
}

/** Runs wrk against `baseUrl` + the route and reads requests per second and latency percentiles from its report. */
export async function runWrk(
  baseUrl: string,
  route: WrkRoute | string,
  seconds: number,
  pid?: number,
  connections = 50,
  threads = Number(process.env['BENCH_WRK_THREADS'] ?? 1),
): Promise<WrkResult> {
  const r: WrkRoute = typeof route === 'string' ? { name: route, path: route } : route;
  const script = r.cycle ? cycleScript(r.path, r.cycle) : undefined;
  const result = await wrk(baseUrl + (r.cycle ? '/' : r.path), script, seconds, pid, connections, threads);
  if (result.non2xx > 0) throw new Error(`wrk ${baseUrl}${r.path}: ${result.non2xx} answers not 2xx`);
  return result;
}

/**
 * wrk on a bench scenario: its first `variety` requests (path and JSON body, made by the scenario
 * as autocannon would make them) are formatted once in a Lua table and sent in turn, for `seconds`.
 * Answers that are not 2xx are counted, not refused (a stampede expects them).
 */
export function runWrkScenario(baseUrl: string, s: Scenario, seconds: number, pid?: number, variety = 3_000): Promise<WrkResult & { non2xx: number }> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-wrk-')), 'requests.lua');
  // Formatted in init(): wrk sets the Host header after the script's top level has run.
  const lines = ['local r = {}', 'local n = 0', 'local i = 0', 'function init(args)'];
  for (let i = 0; i < variety; i++) {
    const body = s.body?.(i);
    const headers = body === undefined ? 'nil' : '{["Content-Type"]="application/json"}';
    const text = body === undefined ? 'nil' : `[==[${JSON.stringify(body)}]==]`;
    lines.push(`  r[${i + 1}] = wrk.format("${s.method ?? 'GET'}", [==[${s.path(i)}]==], ${headers}, ${text})`);
  }
  lines.push('  n = #r', 'end', 'request = function()', '  i = i % n + 1', '  return r[i]', 'end');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return wrk(`${baseUrl}/`, file, seconds, pid, s.connections ?? 50, Number(process.env['BENCH_WRK_THREADS'] ?? 1));
}

function wrk(url: string, script: string | undefined, seconds: number, pid: number | undefined, connections: number, threads: number): Promise<WrkResult & { non2xx: number }> {
  const cpuBefore = cpuMs(pid);
  return new Promise((resolve, reject) => {
    const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : []), url];
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      if (script) fs.rmSync(path.dirname(script), { recursive: true, force: true });
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      if (!rps) return reject(new Error(`wrk ${url}: ${out}`));
      const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const pct = (p: string) => new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '?';
      const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
      const cpuUs = ((cpuMs(pid) - cpuBefore) * 1000) / requests;
      resolve({ rps: Number(rps[1]), p50: pct('50'), p99: pct('99'), requests, non2xx, ...(Number.isFinite(cpuUs) ? { cpuUs } : {}) });
    });
  });
}

/** `run` against the bare Fastify server (bench/bare-server.ts), in a process of its own, stopped before anything else runs. */
async function onBareServer<R>(run: (baseUrl: string, pid: number | undefined) => Promise<R>): Promise<R> {
  const bareProc = await startBareServer();
  try {
    return await run(bareProc.baseUrl, bareProc.process.pid);
  } finally {
    await bareProc.stop();
  }
}

/** wrk on the bare route alone: its own process, stopped before anything else runs. */
export function wrkBare(seconds: number): Promise<WrkResult> {
  return onBareServer((baseUrl, pid) => runWrk(baseUrl, '/hello', seconds, pid));
}

/** A scenario's requests under wrk against the bare server (GET /hello, or POST /refuse for a refusal's yardstick). */
export function wrkBareScenario(s: Scenario, seconds: number): Promise<WrkResult & { non2xx: number }> {
  return onBareServer((baseUrl, pid) => runWrkScenario(baseUrl, s, seconds, pid));
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
