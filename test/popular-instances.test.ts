import { Cron } from 'croner';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { localDate } from '../src/shared/local-date.js';
import { REDIS_URL } from './helpers/databases.js';
import { Fleets } from './helpers/fleet.js';
import { http, runToExit, type Instance } from './helpers/instances.js';

const ADMIN = { authorization: 'Bearer popular-admin-token' };
const TOP5 = '/api/v1/products/popular/top5';

async function etagOf(instance: Instance): Promise<string> {
  return (await fetch(instance.baseUrl + TOP5)).headers.get('etag') ?? '';
}

/** Polls until `instance` serves run `runId`; answers the milliseconds it took, or undefined after `ms`. */
async function servedWithin(instance: Instance, runId: number, ms: number): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start <= ms) {
    if ((await etagOf(instance)).startsWith(`"${runId}-`)) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}

/** Sums `popular_batch_runs_total` of one trigger by outcome from an instance's /metrics. */
async function batchRuns(instance: Instance, trigger: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${instance.baseUrl}/metrics`)).text();
  const out: Record<string, number> = { computed: 0, skipped: 0, failed: 0 };
  for (const m of text.matchAll(/^popular_batch_runs_total\{trigger="(\w+)",outcome="(\w+)"\} (\d+)$/gm)) {
    if (m[1] === trigger) out[m[2]!] = Number(m[3]);
  }
  return out;
}

const runCli = (args: string[], env: Record<string, string>) => runToExit('src/popular-batch.ts', args, env);

describe('popular products across real instances on one database', () => {
  const fleets = new Fleets('popular');
  afterEach(() => fleets.stopInstances());
  afterAll(() => fleets.cleanUp());

  async function cluster(env: Record<string, string>): Promise<{ instances: Instance[]; sql: pg.Pool; env: Record<string, string> }> {
    return fleets.start({ env: { ADMIN_TOKEN: ADMIN.authorization.slice(7), ...env } });
  }

  async function sellYesterday(sql: pg.Pool): Promise<void> {
    await sql.query(`INSERT INTO users (name) VALUES ('buyer')`);
    await sql.query(`INSERT INTO products (name, price, stock) SELECT 'p' || g, 1000 * g, 10 FROM generate_series(1, 7) g`);
    // Product g sells g units, paid a day ago: always inside today's window.
    await sql.query(`
      WITH o AS (
        INSERT INTO orders (order_number, user_id, status, item_amount, shipping_amount, discount_amount, payment_amount, hold_until, paid_at)
        SELECT 'O' || g, 1, 'PAID', 1000 * g * g, 0, 0, 1000 * g * g, now(), now() - interval '1 day' FROM generate_series(1, 7) g
        RETURNING id, substr(order_number, 2)::int AS g)
      INSERT INTO order_items (order_id, product_id, product_name, unit_price, quantity, amount)
      SELECT id, g, 'p' || g, 1000 * g, g, 1000 * g * g FROM o`);
  }

  it('computes one start-up ranking for two instances; a run on one is served by the other within a second (Redis)', async () => {
    const { instances, sql, env } = await cluster({ REDIS_URL, POPULAR_REFRESH_SECONDS: '3600' });
    const [a, b] = instances as [Instance, Instance];
    expect((await sql.query(`SELECT trigger, count(*)::int AS n FROM popular_runs GROUP BY trigger`)).rows).toEqual([{ trigger: 'STARTUP', n: 1 }]);
    // The instance that did not compute it loaded it when it started.
    for (const instance of instances) expect(await etagOf(instance)).toMatch(/^"1-/);

    await sellYesterday(sql);
    const ran = await http(a.baseUrl, 'POST', '/api/v1/admin/batch/popular-products', {}, ADMIN);
    expect(ran.status).toBe(200);
    expect(ran.body.ranking.map((p: { productId: number }) => p.productId)).toEqual([7, 6, 5, 4, 3]);
    // The periodic check is an hour away: only the Redis message can bring the run this fast.
    expect(await servedWithin(b, ran.body.runId, 1_000)).toBeDefined();
    expect((await http(b.baseUrl, 'GET', TOP5)).body).toEqual(ran.body.ranking);

    // The command line announces its run too.
    const today = localDate(new Date(), 'Asia/Seoul');
    const cli = await runCli([`--date=${today}`], env);
    expect(cli.code).toBe(0);
    expect(cli.output).toContain(`run date ${today}`);
    expect(cli.output).toMatch(/done in \d+\.\d\d s: run \d+, 5 products, announced/);
    const cliRun = Number(/run (\d+),/.exec(cli.output)![1]);
    for (const instance of instances) expect(await servedWithin(instance, cliRun, 1_000)).toBeDefined();
  });

  it('refuses a bad --date on the command line', async () => {
    for (const arg of ['--date=2026-02-30', '--when=2026-01-01']) {
      const { code, output } = await runCli([arg], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
      expect(code).toBe(2);
      expect(output).toContain('usage: npm run batch:popular');
    }
  });

  it('runs the schedule once when two instances fire it at the same moment', { timeout: 150_000 }, async () => {
    // A tick 30 s away (every minute at that second), so that both instances are up for it.
    const cron = `${new Date(Date.now() + 30_000).getUTCSeconds()} * * * * *`;
    const planned = new Cron(cron, { paused: true }).nextRun()!;
    const { instances, sql } = await cluster({ POPULAR_CRON: cron, POPULAR_REFRESH_SECONDS: '1' });
    // Had starting taken longer than the margin, one instance may have fired alone: then only the totals are exact.
    const bothUpForIt = Date.now() < planned.getTime() - 1_000;
    const tick = bothUpForIt ? planned : new Cron(cron, { paused: true }).nextRun()!;
    await new Promise((r) => setTimeout(r, tick.getTime() - Date.now() + 3_000));

    const { rows } = await sql.query(`SELECT run_date::text AS d, count(*)::int AS n FROM popular_runs WHERE trigger = 'SCHEDULE' GROUP BY 1`);
    expect(rows.map((r) => r.n)).toEqual([1]);
    const seen = await Promise.all(instances.map((i) => batchRuns(i, 'SCHEDULE')));
    // Both fired; one computed, the other found the day's run and stood down.
    if (bothUpForIt) expect(seen.map((s) => s['computed']! + s['skipped']!)).toEqual([1, 1]);
    expect(seen.map((s) => s['computed']).sort()).toEqual([0, 1]);
    expect(seen.every((s) => s['computed']! + s['skipped']! >= 1)).toBe(true);
    expect(seen.map((s) => s['failed'])).toEqual([0, 0]);
    const runId = Number((await sql.query(`SELECT max(id) AS id FROM popular_runs`)).rows[0].id);
    // Without Redis, the instance that did not compute picks the run up at its periodic check.
    for (const instance of instances) expect(await servedWithin(instance, runId, 3_000)).toBeDefined();
  });
});
