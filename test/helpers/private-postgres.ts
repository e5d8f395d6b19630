import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './instances.js';

const run = promisify(execFile);
const BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  readonly url: string;
  readonly port: number;
  /** Stops the server: `immediate` is a crash (no checkpoint), `fast` ends sessions with 57P01. */
  stop(mode?: 'immediate' | 'fast' | 'smart'): Promise<void>;
  /** Starts it again on the same port and data; resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stops it (immediate) and removes its directory. */
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL 15 server of the test's own (initdb into a temp dir, pg_ctl on a free port), so a
 * test can stop and restart it without touching the machine's shared server. Needs the server
 * binaries (`PG_BIN`, default /usr/lib/postgresql/15/bin); as root it runs them as `postgres`.
 */
export async function startPrivatePostgres(opts: { port?: number } = {}): Promise<PrivatePostgres> {
  const port = opts.port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'private-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await run('chown', ['postgres:postgres', dir]);
  // initdb and postgres refuse to run as root.
  const pgctl = (file: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(BIN, file), ...args]) : run(path.join(BIN, file), args);
  await pgctl('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  // Tests only: no fsync; its own socket directory, so nothing collides with the shared server.
  fs.appendFileSync(
    path.join(data, 'postgresql.conf'),
    `\nlisten_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = '${dir}'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 100\nshared_buffers = 32MB\n`,
  );
  const start = async () => {
    await pgctl('pg_ctl', ['start', '-w', '-t', '60', '-D', data, '-l', path.join(dir, 'server.log')]);
  };
  const stop = async (mode: 'immediate' | 'fast' | 'smart' = 'immediate') => {
    await pgctl('pg_ctl', ['stop', '-w', '-t', '60', '-m', mode, '-D', data]).catch((err: unknown) => {
      // Already stopped is fine; anything else is not.
      if (!/Is server running\?/.test(String((err as { stderr?: string }).stderr ?? ''))) throw err;
    });
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    destroy: async () => {
      await stop('immediate');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { startPrivatePostgres as start };
