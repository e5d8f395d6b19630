import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../src/shared/project-root.js';
import { REDIS_URL, SERVER_URL } from './helpers/databases.js';
import { freePort } from './helpers/instances.js';

/** Runs scripts/services.sh with only PATH and `env`; never touches the shared services. */
function check(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['scripts/services.sh'], {
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

describe('the test command on a machine without the services (scripts/services.sh)', () => {
  it('is what `npm test` runs first, before type-checking and vitest', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['test']).toMatch(/^bash scripts\/services\.sh && /);
    expect(fs.readFileSync(path.join(projectRoot(), '.ci/run'), 'utf8')).toContain('bash scripts/services.sh');
  });

  it('exits 1 with one line per unreachable service saying how to get it, and starts nothing on a port that is not the default', async () => {
    const [pg, redis, nats] = [await freePort(), await freePort(), await freePort()];
    const { code, output } = await check({
      TEST_DATABASE_URL: `postgres://postgres:s3cret@127.0.0.1:${pg}/test`,
      TEST_REDIS_URL: `redis://127.0.0.1:${redis}`,
      TEST_NATS_URL: `nats://localhost:${nats}`,
    });
    expect(code).toBe(1);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^services: PostgreSQL is not reachable at 127\\.0\\.0\\.1:${pg} \\(TEST_DATABASE_URL\\): apt-get install postgresql, or \`docker compose up -d`));
    expect(lines[1]).toMatch(new RegExp(`^services: Redis is not reachable at 127\\.0\\.0\\.1:${redis} \\(TEST_REDIS_URL\\): apt-get install redis-server,`));
    expect(lines[2]).toMatch(new RegExp(`^services: NATS is not reachable at localhost:${nats} \\(TEST_NATS_URL\\): apt-get install nats-server,`));
    expect(output).not.toContain('starting');
    expect(output).not.toContain('s3cret');
  });

  it('tells the services apart by their greeting, not by an open port', async () => {
    // Redis's port named as NATS and the other way round: both ports are open, neither answers as asked.
    const redis = new URL(REDIS_URL);
    const { code, output } = await check({
      TEST_DATABASE_URL: SERVER_URL,
      TEST_REDIS_URL: REDIS_URL,
      TEST_NATS_URL: `nats://${redis.hostname}:${redis.port || 6379}`,
    });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([expect.stringMatching(/^services: NATS is not reachable at .*:6379 \(TEST_NATS_URL\)/)]);
  });

  it('names a missing server binary the fault tests need, unless its service was already reported', async () => {
    const up = { TEST_DATABASE_URL: SERVER_URL, TEST_REDIS_URL: REDIS_URL, ...(process.env['TEST_NATS_URL'] ? { TEST_NATS_URL: process.env['TEST_NATS_URL'] } : {}) };
    const missing = await check({ ...up, PG_BIN: '/nonexistent/pg' });
    expect(missing.code).toBe(1);
    expect(missing.output.trim().split('\n')).toEqual([expect.stringMatching(/^services: \/nonexistent\/pg\/initdb is missing .*apt-get install postgresql/)]);
    const closed = await freePort();
    const both = await check({ ...up, PG_BIN: '/nonexistent/pg', TEST_DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/test` });
    expect(both.output.trim().split('\n')).toEqual([expect.stringMatching(/^services: PostgreSQL is not reachable/)]);
  });

  it('exits 0 and prints nothing when the services answer', async () => {
    const env: Record<string, string> = { TEST_DATABASE_URL: SERVER_URL, TEST_REDIS_URL: REDIS_URL };
    if (process.env['TEST_NATS_URL']) env['TEST_NATS_URL'] = process.env['TEST_NATS_URL'];
    expect(await check(env)).toEqual({ code: 0, output: '' });
  });
});
