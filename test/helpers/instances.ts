import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SERVICE_NODE_FLAGS } from '../../src/node-flags.js';
import { projectRoot } from '../../src/shared/project-root.js';

export interface Instance {
  baseUrl: string;
  process: ChildProcess;
  output: () => string;
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

/**
 * Starts `node <args>` from the project root on a fresh port (PORT/HOST set) and waits until
 * `readyPath` answers 2xx. The child sees only PATH plus `env`, unless `inheritEnv` is set.
 */
export async function startProcess(
  args: string[],
  env: Record<string, string>,
  opts: { readyPath?: string; inheritEnv?: boolean; timeoutMs?: number } = {},
): Promise<Instance> {
  const port = await freePort();
  let output = '';
  const base = opts.inheritEnv ? { ...process.env } : { PATH: process.env['PATH'] ?? '' };
  const child = spawn(process.execPath, args, {
    cwd: projectRoot(),
    env: { ...base, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node ${args.join(' ')} exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${baseUrl}${opts.readyPath ?? '/health'}`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`node ${args.join(' ')} did not start within ${timeoutMs / 1000} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    baseUrl,
    process: child,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Runs `node --import tsx <script> <args>` from the project root until it exits (it sees only PATH
 * plus `env`), and returns its exit code and everything it printed.
 */
export function runToExit(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: projectRoot(),
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** node's arguments for the service as `npm start` runs it (its V8 flags, src/node-flags.ts), with `nodeArgs` (say --cpu-prof) before the script. */
export function serviceArgs(script = 'dist/src/server.js', nodeArgs: string[] = []): string[] {
  return [...SERVICE_NODE_FLAGS, ...nodeArgs, script];
}

/** Starts the real server (src/server.ts) as its own process and waits until it answers /health. */
export async function startInstance(env: Record<string, string>, opts: { timeoutMs?: number } = {}): Promise<Instance> {
  // Its own data directory: the file sink and PGlite never write into the checkout's ./data.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'instance-'));
  let instance: Instance;
  try {
    instance = await startProcess(serviceArgs('src/server.ts', ['--import', 'tsx']), { DATA_DIR: dataDir, ...env }, opts);
  } catch (error) {
    // An instance that never came up (some tests expect that) leaves no directory behind either.
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const stop = instance.stop;
  instance.stop = async () => {
    await stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return instance;
}

/** Sends a JSON request over real HTTP and returns status and body. */
export async function http<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}
