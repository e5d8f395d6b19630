import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, api, call, createTestApp, newProduct, type TestApp } from '../../../test/helpers/app.js';

describe('products', () => {
  let t: TestApp;
  let ids: number[] = [];
  beforeAll(async () => {
    t = await createTestApp();
    ids = [];
    for (let i = 1; i <= 7; i++) ids.push((await newProduct(t.app, { name: `p${i}`, price: i * 1_000, stock: i })).id);
  });
  afterAll(() => t.close());

  it('returns a product with its stock', async () => {
    const { status, body } = await call(t.app, 'GET', api(`/products/${ids[2]}`));
    expect(status).toBe(200);
    expect(body).toEqual({ id: ids[2], name: 'p3', price: 3_000, stock: 3 });
  });

  it('answers each of many concurrent reads with its own product (reads are batched)', async () => {
    const asked = [...ids, 987_654, ...ids].reverse();
    const answers = await Promise.all(asked.map((id) => call(t.app, 'GET', api(`/products/${id}`))));
    answers.forEach((a, i) => {
      if (asked[i] === 987_654) expect(a.body.code).toBe('PRODUCT_NOT_FOUND');
      else expect(a.body.id).toBe(asked[i]);
    });
  });

  it('shows a stock change at once (stock is never cached)', async () => {
    await call(t.app, 'PATCH', api(`/admin/products/${ids[0]}`), { stock: 42 }, adminAuth);
    expect((await call(t.app, 'GET', api(`/products/${ids[0]}`))).body.stock).toBe(42);
  });

  it('answers 404 PRODUCT_NOT_FOUND for an unknown product', async () => {
    const { status, body } = await call(t.app, 'GET', api('/products/987654'));
    expect(status).toBe(404);
    expect(body).toMatchObject({ code: 'PRODUCT_NOT_FOUND', details: { productId: 987654 } });
  });

  it.each(['0', 'x', '-3', '9007199254740993', '+2', '0x2', '2.0', '2e0'])('answers 400 for the product id %s', async (id) => {
    const { status, body } = await call(t.app, 'GET', api(`/products/${id}`));
    expect(status).toBe(400);
    expect(body.code).toBe('VALIDATION_ERROR');
  });

  it('pages through every product exactly once with the cursor', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
      const { status, body } = await call(t.app, 'GET', api(`/products${q}`));
      expect(status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(3);
      seen.push(...body.items.map((p: { id: number }) => p.id));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(ids);
    expect(pages).toBe(3);
  });

  it('defaults to 20 items and ends with a null cursor', async () => {
    const { body } = await call(t.app, 'GET', api('/products'));
    expect(body.items).toHaveLength(7);
    expect(body.nextCursor).toBeNull();
    expect(body.items[0]).toEqual({ id: ids[0], name: 'p1', price: 1_000, stock: expect.any(Number) });
  });

  it('accepts a limit of 100', async () => {
    expect((await call(t.app, 'GET', api('/products?limit=100'))).body.items).toHaveLength(7);
  });

  it.each(['limit=0', 'limit=101', 'limit=1e1', 'limit=abc', 'cursor=abc', 'cursor=-1', 'cursor=0'])('answers 400 for %s', async (q) => {
    const { status, body } = await call(t.app, 'GET', api(`/products?${q}`));
    expect(status).toBe(400);
    expect(body.code).toBe('VALIDATION_ERROR');
  });
});

// A total that is an exact multiple of the page size: the last full page must say there is no more,
// so a client never fetches a phantom empty page (an off-by-one in "has more" shows only here).
describe('products, a total that is a multiple of the page size', () => {
  let t: TestApp;
  let ids: number[] = [];
  beforeAll(async () => {
    t = await createTestApp();
    ids = [];
    for (let i = 1; i <= 6; i++) ids.push((await newProduct(t.app, { name: `q${i}` })).id);
  });
  afterAll(() => t.close());

  const page = async (limit: number, cursor: string | null) => {
    const { status, body } = await call(t.app, 'GET', api(`/products?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`));
    expect(status).toBe(200);
    return body as { items: Array<{ id: number }>; nextCursor: string | null };
  };

  it.each([
    [1, 6],
    [2, 3],
    [3, 2],
    [6, 1],
  ])('pages 6 products by %i in exactly %i full page(s), the last with a null cursor', async (limit, pages) => {
    const seen: number[][] = [];
    let cursor: string | null = null;
    do {
      const body = await page(limit, cursor);
      seen.push(body.items.map((p) => p.id));
      cursor = body.nextCursor;
    } while (cursor && seen.length <= pages);
    expect(seen).toHaveLength(pages);
    expect(seen.every((items) => items.length === limit)).toBe(true);
    expect(seen.flat()).toEqual(ids);
  });

  it('answers a cursor at the last product with an empty page and a null cursor', async () => {
    expect(await page(3, String(ids[5]))).toEqual({ items: [], nextCursor: null });
  });
});
