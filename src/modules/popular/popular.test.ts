import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, api, call, createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { insertBuyer, insertOrder, insertProducts, midnight } from '../../../test/helpers/paid-orders.js';
import { scalar } from '../../../test/helpers/sql.js';
import { queryRows } from '../../platform/db/db.js';
import { localDate } from '../../shared/local-date.js';
import { PopularBatch } from './popular.service.js';

const SECOND = 1_000;
const DAY = 86_400_000;
const SEOUL = '+09:00';
const run = (t: TestApp, date?: string) => call(t.app, 'POST', api('/admin/batch/popular-products'), date === undefined ? undefined : { date }, adminAuth);
const top5 = (t: TestApp, headers: Record<string, string> = {}) => call(t.app, 'GET', api('/products/popular/top5'), undefined, headers);
const ids = (ranking: Array<{ productId: number }>) => ranking.map((p) => p.productId);

describe('popular products: the batch', () => {
  let t: TestApp;
  let buyer: number;
  beforeAll(async () => {
    t = await createTestApp();
    buyer = await insertBuyer(t.database.db);
  });
  afterAll(() => t.close());

  // Each case gets its own run date, 10 days from the others, so no window sees another case's order.
  // Each case has its own run date, 10 days from the others, so no window sees another case's order.
  it.each([
    ['23:59:59 on the day before D', '2030-01-10', -SECOND, true],
    ['23:59:59.999 on the day before D', '2030-01-20', -1, true],
    ['00:00 on D', '2030-01-30', 0, false],
    ['00:00 three days before D', '2030-02-09', -3 * DAY, true],
    ['3 days + 1 s before D', '2030-02-19', -3 * DAY - SECOND, false],
  ])('an order paid at %s (D = %s, Asia/Seoul) counts: %s', async (_label, D, offset, counted) => {
    const [product] = await insertProducts(t.database.db, 1);
    await insertOrder(t.database.db, { userId: buyer, at: new Date(midnight(D, SEOUL).getTime() + offset), lines: [{ productId: product!, quantity: 1 }] });
    const { status, body } = await run(t, D);
    expect(status).toBe(200);
    expect(ids(body.ranking)).toEqual(counted ? [product] : []);
  });

  it('counts the window in TIMEZONE: the same instant is on the 10th in Seoul and on the 9th in UTC', async () => {
    const [product] = await insertProducts(t.database.db, 1);
    // 2031-05-09 20:00 UTC is 2031-05-10 05:00 in Seoul: outside Seoul's window for D = 05-10, inside UTC's.
    await insertOrder(t.database.db, { userId: buyer, at: new Date('2031-05-09T20:00:00Z'), lines: [{ productId: product!, quantity: 4 }] });
    const seoul = await new PopularBatch(t.database.db, { timezone: 'Asia/Seoul' }).run('MANUAL', '2031-05-10');
    expect(seoul).toMatchObject({ windowStart: '2031-05-06T15:00:00.000Z', windowEnd: '2031-05-09T15:00:00.000Z', ranking: [] });
    const utc = await new PopularBatch(t.database.db, { timezone: 'UTC' }).run('MANUAL', '2031-05-10');
    expect(utc).toMatchObject({ windowStart: '2031-05-07T00:00:00.000Z', windowEnd: '2031-05-10T00:00:00.000Z' });
    expect(utc!.ranking).toEqual([{ rank: 1, productId: product, name: expect.any(String), price: 1_000, salesCount: 4 }]);
  });

  it('takes the day boundaries from the zone rules, across a daylight saving change', async () => {
    // New York moves from UTC-5 to UTC-4 on 2032-03-14: the window is 71 hours long.
    const [inside, after, before] = await insertProducts(t.database.db, 3);
    const at = (iso: string, productId: number) => insertOrder(t.database.db, { userId: buyer, at: new Date(iso), lines: [{ productId, quantity: 1 }] });
    await at('2032-03-16T03:59:59Z', inside!); // 23:59:59 EDT on the 15th
    await at('2032-03-16T04:30:00Z', after!); // 00:30 EDT on the 16th (a fixed UTC-5 would count it)
    await at('2032-03-13T04:30:00Z', before!); // 23:30 EST on the 12th
    const view = await new PopularBatch(t.database.db, { timezone: 'America/New_York' }).run('MANUAL', '2032-03-16');
    expect(view).toMatchObject({ windowStart: '2032-03-13T05:00:00.000Z', windowEnd: '2032-03-16T04:00:00.000Z' });
    expect(ids(view!.ranking)).toEqual([inside]);
  });

  it('ranks by units sold, not by number of orders', async () => {
    const D = '2033-01-10';
    const [many, big] = await insertProducts(t.database.db, 2);
    const at = midnight('2033-01-08', SEOUL);
    for (let i = 0; i < 3; i++) await insertOrder(t.database.db, { userId: buyer, at, lines: [{ productId: many!, quantity: 1 }] });
    await insertOrder(t.database.db, { userId: buyer, at, lines: [{ productId: big!, quantity: 5 }, { productId: many!, quantity: 1 }] });
    const { body } = await run(t, D);
    expect(body.ranking.map((p: { productId: number; salesCount: number }) => [p.productId, p.salesCount])).toEqual([[big, 5], [many, 4]]);
  });

  it('breaks ties by product id and keeps the top 5', async () => {
    const D = '2033-02-10';
    const products = await insertProducts(t.database.db, 40);
    const at = midnight('2033-02-09', SEOUL);
    // The best seller has the highest id; 39 products tie behind it, written in descending id order
    // and one order each, so that neither insertion nor grouping order happens to give the answer.
    await insertOrder(t.database.db, { userId: buyer, at, lines: [{ productId: products[39]!, quantity: 3 }] });
    for (const productId of products.slice(0, 39).reverse()) await insertOrder(t.database.db, { userId: buyer, at, lines: [{ productId, quantity: 2 }] });
    const { body } = await run(t, D);
    expect(body.ranking).toEqual([
      { rank: 1, productId: products[39], name: expect.any(String), price: 1_000, salesCount: 3 },
      ...products.slice(0, 4).map((productId, i) => ({ rank: i + 2, productId, name: expect.any(String), price: 1_000, salesCount: 2 })),
    ]);
  });

  it('lists fewer than 5 when fewer sold, and none when nothing sold', async () => {
    const [a, b] = await insertProducts(t.database.db, 2);
    const at = midnight('2033-03-09', SEOUL);
    await insertOrder(t.database.db, { userId: buyer, at, lines: [{ productId: a!, quantity: 1 }, { productId: b!, quantity: 2 }] });
    expect(ids((await run(t, '2033-03-10')).body.ranking)).toEqual([b, a]);
    expect((await run(t, '2033-04-10')).body.ranking).toEqual([]);
  });

  it('ignores unpaid and cancelled orders, even created inside the window', async () => {
    const [paid, created, failed, cancelled] = await insertProducts(t.database.db, 4);
    const at = midnight('2033-05-09', SEOUL);
    await insertOrder(t.database.db, { userId: buyer, at, lines: [{ productId: paid!, quantity: 1 }] });
    await insertOrder(t.database.db, { userId: buyer, at, status: 'CREATED', lines: [{ productId: created!, quantity: 9 }] });
    await insertOrder(t.database.db, { userId: buyer, at, status: 'PAYMENT_FAILED', lines: [{ productId: failed!, quantity: 9 }] });
    await insertOrder(t.database.db, { userId: buyer, at, status: 'CANCELLED', lines: [{ productId: cancelled!, quantity: 9 }] });
    expect(ids((await run(t, '2033-05-10')).body.ranking)).toEqual([paid]);
  });

  it('stores name and price as of the run; a re-run of the date replaces its ranking', async () => {
    const D = '2033-06-10';
    const [p] = await insertProducts(t.database.db, 1, 7_000);
    await insertOrder(t.database.db, { userId: buyer, at: midnight('2033-06-09', SEOUL), lines: [{ productId: p!, quantity: 2, unitPrice: 5_000, name: 'old name' }] });
    const first = (await run(t, D)).body;
    expect(first.ranking).toEqual([{ rank: 1, productId: p, name: `product 1`, price: 7_000, salesCount: 2 }]);
    await call(t.app, 'PATCH', api(`/admin/products/${p}`), { price: 8_000 }, adminAuth);
    expect((await top5(t)).body[0].price).toBe(7_000);
    const second = (await run(t, D)).body;
    expect(second.runId).toBeGreaterThan(first.runId);
    expect(second.ranking[0].price).toBe(8_000);
    expect((await top5(t)).body[0].price).toBe(8_000);
    expect(await scalar(t.database.db, `SELECT count(*) AS v FROM popular_products WHERE run_date = '${D}'`)).toBe(1);
    expect(await scalar(t.database.db, `SELECT count(*) AS v FROM popular_runs WHERE run_date = '${D}'`)).toBe(2);
  });

  it('lets concurrent runs of one date take turns: each succeeds, one ranking remains', async () => {
    const D = '2033-07-10';
    const [p] = await insertProducts(t.database.db, 1);
    await insertOrder(t.database.db, { userId: buyer, at: midnight('2033-07-08', SEOUL), lines: [{ productId: p!, quantity: 1 }] });
    const answers = await Promise.all(Array.from({ length: 6 }, () => run(t, D)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await scalar(t.database.db, `SELECT count(*) AS v FROM popular_products WHERE run_date = '${D}'`)).toBe(1);
  });

  it('runs the schedule once a day: a second scheduled run of the day is skipped, a manual one is not', async () => {
    const [p] = await insertProducts(t.database.db, 1);
    // 2034-07-01 16:00 UTC is already 2034-07-02 in Seoul: the clock decides the run date.
    const now = () => new Date('2034-07-01T16:00:00Z');
    await insertOrder(t.database.db, { userId: buyer, at: new Date('2034-07-01T14:00:00Z'), lines: [{ productId: p!, quantity: 1 }] });
    const batches = [0, 1].map(() => new PopularBatch(t.database.db, { timezone: 'Asia/Seoul', now }));
    const results = await Promise.all(batches.map((b) => b.run('SCHEDULE')));
    const ran = results.filter((r) => r !== undefined);
    expect(ran).toHaveLength(1);
    expect(ran[0]).toMatchObject({ runDate: '2034-07-02', trigger: 'SCHEDULE' });
    expect(ids(ran[0]!.ranking)).toEqual([p]);
    expect(await batches[0]!.run('SCHEDULE')).toBeUndefined();
    expect(await batches[0]!.run('MANUAL')).toMatchObject({ runDate: '2034-07-02', trigger: 'MANUAL' });
    const rows = await queryRows<{ trigger: string; n: number }>(
      t.database.db,
      sql`SELECT trigger, count(*)::int AS n FROM popular_runs WHERE run_date = '2034-07-02' GROUP BY trigger ORDER BY trigger`,
    );
    expect(rows).toEqual([{ trigger: 'MANUAL', n: 1 }, { trigger: 'SCHEDULE', n: 1 }]);
  });
});

describe('popular products: GET /products/popular/top5 and the admin route', () => {
  let t: TestApp;
  let buyer: number;
  beforeAll(async () => {
    t = await createTestApp();
    buyer = await insertBuyer(t.database.db);
  });
  afterAll(() => t.close());

  it('answers [] before any ranking was computed, naming no run date', async () => {
    const { status, body, res } = await top5(t);
    expect(status).toBe(200);
    expect(body).toEqual([]);
    expect(res.headers['x-ranking-date']).toBeUndefined();
  });

  it('computes a ranking at start-up only when none exists, once even when asked twice at once', async () => {
    const [p] = await insertProducts(t.database.db, 1);
    await insertOrder(t.database.db, { userId: buyer, at: new Date(Date.now() - DAY), lines: [{ productId: p!, quantity: 1 }] });
    const [a, b] = await Promise.all([t.app.popular.ensureRanking(), t.app.popular.ensureRanking()]);
    const made = [a, b].filter((v) => v !== undefined);
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ trigger: 'STARTUP', runDate: localDate(new Date(), 'Asia/Seoul') });
    expect(await t.app.popular.ensureRanking()).toBeUndefined();
    expect(await scalar(t.database.db, 'SELECT count(*) AS v FROM popular_runs')).toBe(1);
    expect(ids((await top5(t)).body)).toEqual([p]);
  });

  it('serves the latest run with its ETag and run date, and 304 for a matching If-None-Match', async () => {
    const [p1, p2] = await insertProducts(t.database.db, 2, 2_500);
    const at = midnight('2035-01-09', SEOUL);
    await insertOrder(t.database.db, { userId: buyer, at, lines: [{ productId: p1!, quantity: 1 }, { productId: p2!, quantity: 3 }] });
    const ran = (await run(t, '2035-01-10')).body;
    const { status, body, res } = await top5(t);
    expect(status).toBe(200);
    expect(body).toEqual([
      { rank: 1, productId: p2, name: 'product 2', price: 2_500, salesCount: 3 },
      { rank: 2, productId: p1, name: 'product 1', price: 2_500, salesCount: 1 },
    ]);
    expect(body).toEqual(ran.ranking);
    expect(res.headers['x-ranking-date']).toBe('2035-01-10');
    const etag = res.headers['etag'] as string;
    expect(etag).toMatch(new RegExp(`^"${ran.runId}-`));
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await top5(t, { 'if-none-match': ifNoneMatch });
      expect(again.status).toBe(304);
      expect(again.res.body).toBe('');
      expect(again.res.headers['etag']).toBe(etag);
    }
    expect((await top5(t, { 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('serves the most recently computed ranking, even of an earlier run date, and a new run changes the ETag', async () => {
    const before = (await top5(t)).res.headers['etag'];
    const older = (await run(t, '2020-01-01')).body;
    const { body, res } = await top5(t, { 'if-none-match': before as string });
    expect(res.statusCode).toBe(200);
    expect(body).toEqual(older.ranking);
    expect(res.headers['x-ranking-date']).toBe('2020-01-01');
  });

  it('is its own route, not a product id, and leaves /products/:productId alone', async () => {
    expect(Array.isArray((await top5(t)).body)).toBe(true);
    const [p] = await insertProducts(t.database.db, 1);
    expect((await call(t.app, 'GET', api(`/products/${p}`))).body).toMatchObject({ id: p });
    expect((await call(t.app, 'GET', api('/products/popular'))).body.code).toBe('VALIDATION_ERROR');
  });

  it('runs for today in TIMEZONE when no date is given, with or without a body', async () => {
    for (const payload of [undefined, {}]) {
      const before = localDate(new Date(), 'Asia/Seoul');
      const { status, body } = await call(t.app, 'POST', api('/admin/batch/popular-products'), payload, adminAuth);
      const after = localDate(new Date(), 'Asia/Seoul');
      expect(status).toBe(200);
      expect([before, after]).toContain(body.runDate);
      expect(body).toMatchObject({ timezone: 'Asia/Seoul', trigger: 'MANUAL', computedAt: expect.stringMatching(/Z$/) });
    }
  });

  it('runs for any date, future ones included', async () => {
    const { status, body } = await run(t, '2099-12-31');
    expect(status).toBe(200);
    expect(body).toMatchObject({ runDate: '2099-12-31', windowStart: '2099-12-27T15:00:00.000Z', windowEnd: '2099-12-30T15:00:00.000Z', ranking: [] });
  });

  it.each([['2026-02-30'], ['2026-13-01'], ['2026-2-3'], ['20260203'], ['today'], [''], ['2026-02-03T00:00:00Z'], [20260203], [null]])(
    'answers 400 VALIDATION_ERROR for the date %j and runs nothing',
    async (date) => {
      const runs = await scalar(t.database.db, 'SELECT count(*) AS v FROM popular_runs');
      const { status, body } = await call(t.app, 'POST', api('/admin/batch/popular-products'), { date }, adminAuth);
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.any(String) });
      expect(await scalar(t.database.db, 'SELECT count(*) AS v FROM popular_runs')).toBe(runs);
    },
  );

  it('answers 400 for a body that is not JSON', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: api('/admin/batch/popular-products'),
      headers: { ...adminAuth, 'content-type': 'application/json' },
      payload: '{"date":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_ERROR');
  });

  it('answers 401 without the admin token', async () => {
    const { status, body } = await call(t.app, 'POST', api('/admin/batch/popular-products'), {}, { authorization: 'Bearer nope' });
    expect(status).toBe(401);
    expect(body.code).toBe('UNAUTHORIZED');
  });
});
