import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, api, call, createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { REDIS_URL } from '../../../test/helpers/databases.js';
import { RankingCache } from './popular.cache.js';
import { PopularBatch, type RankingView } from './popular.service.js';

const top5 = (t: TestApp, headers: Record<string, string> = {}) => call(t.app, 'GET', api('/products/popular/top5'), undefined, headers);

describe('popular products: served from memory', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_TOKEN: '' } });
  });
  afterAll(() => t.close());

  it('keeps the admin route disabled without ADMIN_TOKEN', async () => {
    const { status, body } = await call(t.app, 'POST', api('/admin/batch/popular-products'), {}, adminAuth);
    expect(status).toBe(403);
    expect(body.code).toBe('ADMIN_DISABLED');
  });

  it('answers the ranking with the database closed: no database round trip', async () => {
    const view = await t.app.popular.runNow('2036-01-01');
    const etag = (await top5(t)).res.headers['etag'];
    await t.database.close();
    const { status, body, res } = await top5(t);
    expect(status).toBe(200);
    expect(body).toEqual(view.ranking);
    expect(res.headers['etag']).toBe(etag);
  });

  it('only moves forward: a late answer about an older run does not replace a newer one', async () => {
    const cache = new RankingCache(t.database.db);
    const view = (runId: number, runDate: string): RankingView => ({
      runId, runDate, timezone: 'UTC', windowStart: '', windowEnd: '', computedAt: '', trigger: 'MANUAL', ranking: [],
    });
    expect(cache.install(view(7, '2040-01-07'))).toBe(true);
    expect(cache.install(view(6, '2040-01-06'))).toBe(false);
    expect(cache.install(view(7, '2040-01-07'))).toBe(false);
    expect(cache.current()).toMatchObject({ runId: 7, runDate: '2040-01-07' });
  });
});

/** Polls `check` until it returns true or `ms` pass; answers how long it took, or undefined. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start <= ms) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

describe('popular products: following runs made elsewhere', () => {
  const servedRun = async (t: TestApp) => (await top5(t)).res.headers['etag'] as string;

  it('announces a run on the Redis channel of its prefix, and re-reads the database on a message', async () => {
    const t = await createTestApp({ redisUrl: REDIS_URL, env: { POPULAR_REFRESH_SECONDS: '3600' } });
    const listener = new Redis(REDIS_URL);
    try {
      const messages: string[] = [];
      await listener.subscribe(`${t.redisPrefix}popular:runs`);
      listener.on('message', (_channel: string, message: string) => messages.push(message));
      const mine = await t.app.popular.runNow('2037-01-01');
      expect(await within(2_000, async () => messages.includes(String(mine.runId)))).toBeDefined();

      // A run this app did not make (as by another instance), then the message another instance sends.
      const elsewhere = (await new PopularBatch(t.database.db, { timezone: 'Asia/Seoul' }).run('MANUAL', '2037-02-01'))!;
      expect(await servedRun(t)).toMatch(new RegExp(`^"${mine.runId}-`));
      const publisher = new Redis(REDIS_URL);
      await publisher.publish(`${t.redisPrefix}popular:runs`, String(elsewhere.runId));
      publisher.disconnect();
      expect(await within(1_000, async () => (await servedRun(t)).startsWith(`"${elsewhere.runId}-`))).toBeDefined();
    } finally {
      listener.disconnect();
      await t.close();
    }
  });

  it('without Redis, finds a run made elsewhere at its periodic check', async () => {
    const t = await createTestApp({ env: { POPULAR_REFRESH_SECONDS: '1' } });
    try {
      const elsewhere = (await new PopularBatch(t.database.db, { timezone: 'Asia/Seoul' }).run('MANUAL', '2037-03-01'))!;
      expect(await within(5_000, async () => (await servedRun(t)).startsWith(`"${elsewhere.runId}-`))).toBeDefined();
    } finally {
      await t.close();
    }
  });
});

