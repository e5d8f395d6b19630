import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../src/shared/project-root.js';
import { createServerDatabase } from './helpers/databases.js';
import { http, startInstance } from './helpers/instances.js';

function runServer(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: projectRoot(),
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('the server process', () => {
  it('refuses to start on a bad setting, naming every bad one', async () => {
    const { code, output } = await runServer({ PORT: 'eighty', MAX_BALANCE: '-5', DATABASE_URL: 'mysql://nope' });
    expect(code).toBe(1);
    expect(output).toContain('PORT');
    expect(output).toContain('MAX_BALANCE');
    expect(output).toContain('DATABASE_URL');
  });

  it('finishes in-flight requests on SIGTERM, then exits 0', async () => {
    const db = await createServerDatabase();
    try {
      const instance = await startInstance({ DATABASE_URL: db.url, SEED_DEMO: 'false', LOG_LEVEL: 'info' });
      const user = await http(instance.baseUrl, 'POST', '/api/v1/users', { name: 'late' });
      const inFlight = Array.from({ length: 20 }, () =>
        http(instance.baseUrl, 'PUT', `/api/v1/users/${user.body.userId}/balance`, { amount: 1 }),
      );
      const exited = new Promise<number | null>((resolve) => instance.process.once('exit', (code) => resolve(code)));
      instance.process.kill('SIGTERM');
      const answers = await Promise.allSettled(inFlight);
      expect(await exited).toBe(0);
      expect(instance.output()).toContain('shutting down');
      // Whatever was answered was answered in the error model or as a success; nothing half done.
      const ok = answers.filter((a) => a.status === 'fulfilled' && a.value.status === 200).length;
      const pgClient = new (await import('pg')).default.Client({ connectionString: db.url });
      await pgClient.connect();
      const { rows } = await pgClient.query('SELECT balance, (SELECT count(*) FROM balance_history) AS n FROM users');
      await pgClient.end();
      expect(Number(rows[0].balance)).toBe(Number(rows[0].n));
      expect(Number(rows[0].balance)).toBeGreaterThanOrEqual(ok);
    } finally {
      await db.drop();
    }
  });
});
