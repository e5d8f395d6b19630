import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { SERVICE_NODE_FLAGS } from '../src/node-flags.js';
import { createServerDatabase } from './helpers/databases.js';
import { http, runToExit, startInstance, startProcess, type Instance } from './helpers/instances.js';
import { rawExchange } from './helpers/raw-http.js';
import { until } from './helpers/until.js';

const runServer = (env: Record<string, string>) => runToExit('src/server.ts', [], env);

describe('the server process', () => {
  it('refuses to start on a bad setting, naming every bad one', async () => {
    const { code, output } = await runServer({ PORT: 'eighty', MAX_BALANCE: '-5', DATABASE_URL: 'mysql://admin:pw-s3cret@db/x', ADMIN_TOKEN: 'short-s3cret' });
    expect(code).toBe(1);
    expect(output).toContain('PORT');
    expect(output).toContain('MAX_BALANCE');
    expect(output).toContain('DATABASE_URL');
    expect(output).toContain('ADMIN_TOKEN must be at least 16 characters');
    // Neither the URL's password nor the token is printed.
    expect(output).not.toContain('s3cret');
  });

  it('says in its log which of the service\'s V8 flags it was started without, and how to start it', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flags-'));
    const bare = await startProcess(['--import', 'tsx', 'src/server.ts'], { DATA_DIR: dataDir, SEED_DEMO: 'false' });
    try {
      await vi.waitFor(() => expect(bare.output()).toContain('started without --no-memory-reducer'), { timeout: 10_000 });
      const line = bare
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; missingFlags?: string[]; msg: string })
        .find((l) => l.missingFlags);
      expect(line).toMatchObject({ level: 40, missingFlags: [...SERVICE_NODE_FLAGS] });
      expect(line!.msg).toContain('npm start');
    } finally {
      await bare.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('finishes requests truly in flight on SIGTERM, then closes the pools and exits 0', async () => {
    const db = await createServerDatabase();
    const holder = new pg.Client({ connectionString: db.url });
    let started: Instance | undefined;
    try {
      const instance = await startInstance({ DATABASE_URL: db.url, SEED_DEMO: 'false', LOG_LEVEL: 'info' });
      started = instance;
      const exited = new Promise<number | null>((resolve) => instance.process.once('exit', (code) => resolve(code)));
      const user = await http(instance.baseUrl, 'POST', '/api/v1/users', { name: 'late' });
      const userId = user.body.userId as number;
      // Hold the user's row: every charge below is then stuck inside the server, waiting on the lock.
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      const charges = Array.from({ length: 10 }, () => http(instance.baseUrl, 'PUT', `/api/v1/users/${userId}/balance`, { amount: 1 }));
      await until('ten requests waiting on the lock', async () => (await waitingOnLocks(db.url)) === 10);

      instance.process.kill('SIGTERM');
      await until('the instance to say it is shutting down', () => instance.output().includes('shutting down'));
      // Still serving what it has, no longer accepting new connections.
      await expect(fetch(`${instance.baseUrl}/health`)).rejects.toThrow();
      expect(instance.process.exitCode).toBeNull();

      await holder.query('COMMIT');
      const answers = await Promise.all(charges);
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
      expect(await exited).toBe(0);
      expect(instance.output()).toContain('shutdown complete: connections and pools closed');
      // Started with the service's V8 flags (startInstance, as npm start): no warning about them.
      expect(instance.output()).not.toContain('started without');
      const { rows } = await holder.query('SELECT balance, (SELECT count(*) FROM balance_history) AS n FROM users WHERE id = $1', [userId]);
      expect([Number(rows[0].balance), Number(rows[0].n)]).toEqual([10, 10]);
    } finally {
      if (started?.process.exitCode === null) started.process.kill('SIGKILL');
      // Its data directory goes too (stop() answers at once for a process that has exited).
      await started?.stop();
      await holder.end().catch(() => {});
      await db.drop();
    }
  });

  it('closes a connection still trickling its body after the grace period, then exits 0', async () => {
    const db = await createServerDatabase();
    let started: Instance | undefined;
    try {
      const instance = await startInstance({ DATABASE_URL: db.url, SEED_DEMO: 'false', LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '500' });
      started = instance;
      const exited = new Promise<number | null>((resolve) => instance.process.once('exit', (code) => resolve(code)));
      const port = Number(new URL(instance.baseUrl).port);
      const head = 'PUT /api/v1/users/1/balance HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n';
      // One byte a second: the body would take 14 s, well past the grace period.
      const slow = rawExchange(port, [head, ...'{"amount":100}'.split('')], { gapMs: 1_000, waitMs: 30_000 });
      await new Promise((r) => setTimeout(r, 300));
      instance.process.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect((await slow).closed).toBe(true);
      expect(instance.output()).toContain('grace period over');
      expect(instance.output()).toContain('shutdown complete: connections and pools closed');
    } finally {
      if (started?.process.exitCode === null) started.process.kill('SIGKILL');
      // Its data directory goes too (stop() answers at once for a process that has exited).
      await started?.stop();
      await db.drop();
    }
  });
});

/** Backends of the database waiting on a lock (asked outside any transaction: a transaction keeps one snapshot of the statistics). */
async function waitingOnLocks(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    return rows[0].n as number;
  } finally {
    await client.end();
  }
}
