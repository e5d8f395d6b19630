import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { projectRoot } from '../src/shared/project-root.js';
import { ADMIN_TOKEN } from './helpers/app.js';
import { createServerDatabase, type ServerDatabase } from './helpers/databases.js';
import { http, startInstance, type Instance } from './helpers/instances.js';

// Three real server processes on one PostgreSQL database: they migrate at once on start-up, then
// take truly parallel HTTP charges.
describe('balance across several instances', () => {
  let server: ServerDatabase;
  let instances: Instance[] = [];
  let sql: pg.Pool;

  beforeAll(async () => {
    server = await createServerDatabase();
    instances = await Promise.all(
      [1, 2, 3].map(() => startInstance({ DATABASE_URL: server.url, ADMIN_TOKEN, SEED_DEMO: 'false' })),
    );
    sql = new pg.Pool({ connectionString: server.url, max: 2 });
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await sql?.end();
    await server?.drop();
  });

  const value = async (text: string, params: unknown[] = []) => Number((await sql.query(text, params)).rows[0].v);

  it('migrated exactly once although all instances started together', async () => {
    // Every committed migration, each recorded once: as many rows, and as many distinct hashes, as the journal lists.
    const journal = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'drizzle/meta/_journal.json'), 'utf8')) as { entries: unknown[] };
    expect(journal.entries.length).toBeGreaterThan(0);
    expect(await value('SELECT count(*) AS v FROM drizzle.__drizzle_migrations')).toBe(journal.entries.length);
    expect(await value('SELECT count(DISTINCT hash) AS v FROM drizzle.__drizzle_migrations')).toBe(journal.entries.length);
    for (const i of instances) expect((await http(i.baseUrl, 'GET', '/ready')).status).toBe(200);
  });

  it('loses none of 100 parallel charges spread over the instances', async () => {
    const user = await http(instances[0]!.baseUrl, 'POST', '/api/v1/users', { name: 'race' });
    const userId = user.body.userId as number;
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        http(instances[i % instances.length]!.baseUrl, 'PUT', `/api/v1/users/${userId}/balance`, { amount: 1_000 + i }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
    const expected = 100 * 1_000 + (99 * 100) / 2;
    expect(await value('SELECT balance AS v FROM users WHERE id = $1', [userId])).toBe(expected);
    expect(await value('SELECT sum(amount) AS v FROM balance_history WHERE user_id = $1', [userId])).toBe(expected);
    expect(await value('SELECT count(DISTINCT balance_after) AS v FROM balance_history WHERE user_id = $1', [userId])).toBe(100);
    expect(await value('SELECT max(balance_after) AS v FROM balance_history WHERE user_id = $1', [userId])).toBe(expected);
  });

  it('charges once for one Idempotency-Key sent 30 times at once to different instances', async () => {
    const user = await http(instances[1]!.baseUrl, 'POST', '/api/v1/users', { name: 'retry' });
    const userId = user.body.userId as number;
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        http(instances[i % instances.length]!.baseUrl, 'PUT', `/api/v1/users/${userId}/balance`, { amount: 5_000 }, { 'idempotency-key': 'same-key' }),
      ),
    );
    expect(answers.every((a) => a.status === 200 && a.body.balance === 5_000)).toBe(true);
    expect(await value('SELECT balance AS v FROM users WHERE id = $1', [userId])).toBe(5_000);
    expect(await value('SELECT count(*) AS v FROM balance_history WHERE user_id = $1', [userId])).toBe(1);
  });

  it('never passes MAX_BALANCE under parallel charges', async () => {
    const user = await http(instances[2]!.baseUrl, 'POST', '/api/v1/users', { name: 'limit' });
    const userId = user.body.userId as number;
    // 30 charges of 1,000,000 against the default limit of 10,000,000: exactly 10 fit.
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        http(instances[i % instances.length]!.baseUrl, 'PUT', `/api/v1/users/${userId}/balance`, { amount: 1_000_000 }),
      ),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(10);
    expect(answers.filter((a) => a.status === 409 && a.body.code === 'BALANCE_LIMIT_EXCEEDED')).toHaveLength(20);
    expect(await value('SELECT balance AS v FROM users WHERE id = $1', [userId])).toBe(10_000_000);
    expect(await value('SELECT sum(amount) AS v FROM balance_history WHERE user_id = $1', [userId])).toBe(10_000_000);
  });
});
