import net from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './pg-errors.js';

// Real node-postgres errors, from sockets that behave like a database that is away.
const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function socketServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

async function poolError(port: number, connectionTimeoutMillis = 2_000): Promise<unknown> {
  const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'x', database: 'x', connectionTimeoutMillis });
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
    throw new Error('the query should have failed');
  } catch (err) {
    return err;
  } finally {
    await pool.end().catch(() => {});
  }
}

describe('isDatabaseUnavailable', () => {
  it('is true for a refused connection', async () => {
    const port = await socketServer(() => {});
    await new Promise((r) => servers.pop()!.close(r));
    expect(isDatabaseUnavailable(await poolError(port))).toBe(true);
  });

  it('is true for the pool giving up on a connection that never answers', async () => {
    const silent: net.Socket[] = [];
    const port = await socketServer((s) => silent.push(s));
    const err = await poolError(port, 200);
    silent.forEach((s) => s.destroy());
    expect(String((err as Error).message)).toMatch(/timeout/i);
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it('is true for a connection terminated by the server', async () => {
    const port = await socketServer((s) => s.destroy());
    expect(isDatabaseUnavailable(await poolError(port))).toBe(true);
  });

  it('is true for the shutdown and connection SQLSTATEs, also wrapped as Drizzle wraps them', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08003', '53300']) {
      const driver = Object.assign(new Error('terminating connection due to administrator command'), { code });
      expect(isDatabaseUnavailable(new Error('Failed query: select 1', { cause: driver })), code).toBe(true);
    }
  });

  it('is false for errors that are the request’s or the code’s, not the database being away', () => {
    for (const code of ['23505', '23514', '40001', '40P01', '22021', '42P01']) {
      expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code })), code).toBe(false);
    }
    expect(isDatabaseUnavailable(new TypeError('Cannot read properties of undefined'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
