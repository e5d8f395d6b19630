import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './instances.js';

const BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** Stops the server: `fast` (clean), or `immediate` (like a crash: recovery at the next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it and removes its data directory. */
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL server of the caller's own (initdb + pg_ctl in a temp dir, trust auth, a free port),
 * so that a test or the load harness can stop and restart it without touching the shared one.
 * initdb refuses to run as root: then the server runs as the `postgres` user.
 */
export async function startPrivatePostgres(opts: { port?: number; maxConnections?: number } = {}): Promise<PrivatePostgres> {
  const port = opts.port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'private-pg-'));
  const asRoot = process.getuid?.() === 0;
  let ids: { uid: number; gid: number } | undefined;
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim());
    if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root, and there is no postgres user to run PostgreSQL as');
    ids = { uid, gid };
    fs.chownSync(dir, uid, gid);
  }
  const run = (bin: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(path.join(BIN, bin), args, { stdio: ['ignore', 'pipe', 'pipe'], ...(ids ?? {}) });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} ${args.join(' ')} exited with ${code}:\n${out}`))));
    });
  const data = path.join(dir, 'data');
  await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    `-c max_connections=${opts.maxConnections ?? 200}`,
    // A private, disposable server: durability against a machine crash is not what is tested, so no
    // fsync. But a commit must reach the OS before it is acknowledged (synchronous_commit stays
    // on): an `immediate` stop kills the server like a crash, and with asynchronous commits it
    // would lose the last acknowledged transactions, which tests then miss (seen: an order gone).
    '-c fsync=off',
  ].join(' ');
  const start = () => run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    await run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']).catch(() => undefined);
  };
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  // Ready means it answers a query, not only that the postmaster is up.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.end();
  return {
    url,
    port,
    stop,
    start,
    destroy: async () => {
      await stop('immediate');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
