import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, api, call, createTestApp, newProduct, type TestApp } from '../../../test/helpers/app.js';
import { scalar } from '../../../test/helpers/sql.js';

describe('admin products', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('creates a product (stock may be 0)', async () => {
    const { status, body } = await call(t.app, 'POST', api('/admin/products'), { name: 'Lamp', price: 45_000, stock: 0 }, adminAuth);
    expect(status).toBe(201);
    expect(body).toEqual({ id: expect.any(Number), name: 'Lamp', price: 45_000, stock: 0 });
    expect((await call(t.app, 'GET', api(`/products/${body.id}`))).body).toEqual(body);
  });

  it('changes price and stock separately or together', async () => {
    const p = await newProduct(t.app, { price: 1_000, stock: 5 });
    const url = api(`/admin/products/${p.id}`);
    expect((await call(t.app, 'PATCH', url, { price: 2_000 }, adminAuth)).body).toMatchObject({ price: 2_000, stock: 5 });
    expect((await call(t.app, 'PATCH', url, { stock: 0 }, adminAuth)).body).toMatchObject({ price: 2_000, stock: 0 });
    expect((await call(t.app, 'PATCH', url, { price: 3_000, stock: 9 }, adminAuth)).body).toMatchObject({ price: 3_000, stock: 9 });
    expect((await call(t.app, 'PATCH', url, {}, adminAuth)).body).toMatchObject({ price: 3_000, stock: 9 });
  });

  it('answers 404 PRODUCT_NOT_FOUND when patching an unknown product', async () => {
    const { status, body } = await call(t.app, 'PATCH', api('/admin/products/424242'), { stock: 1 }, adminAuth);
    expect(status).toBe(404);
    expect(body.code).toBe('PRODUCT_NOT_FOUND');
  });

  it.each([
    ['price 0', { name: 'x', price: 0, stock: 1 }],
    ['negative stock', { name: 'x', price: 10, stock: -1 }],
    ['missing name', { price: 10, stock: 1 }],
    ['fractional price', { name: 'x', price: 9.5, stock: 1 }],
    ['string stock', { name: 'x', price: 10, stock: '1' }],
    ['a NUL in the name', { name: 'x\u0000', price: 10, stock: 1 }],
  ])('rejects %s with 400 and creates nothing', async (_label, payload) => {
    const before = await scalar(t.database.db, 'SELECT count(*) AS v FROM products');
    const { status, body } = await call(t.app, 'POST', api('/admin/products'), payload, adminAuth);
    expect(status).toBe(400);
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(await scalar(t.database.db, 'SELECT count(*) AS v FROM products')).toBe(before);
  });

  it('answers 400 for a bad product id or a malformed body on PATCH', async () => {
    const p = await newProduct(t.app);
    for (const id of ['0', 'x', '1.5']) expect((await call(t.app, 'PATCH', api(`/admin/products/${id}`), { stock: 1 }, adminAuth)).status).toBe(400);
    const res = await t.app.inject({
      method: 'PATCH',
      url: api(`/admin/products/${p.id}`),
      headers: { ...adminAuth, 'content-type': 'application/json' },
      payload: '{"stock":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_ERROR');
  });

  it('rejects a negative stock or zero price patch with 400 and keeps the product', async () => {
    const p = await newProduct(t.app, { price: 1_000, stock: 5 });
    for (const patch of [{ stock: -1 }, { price: 0 }]) {
      const { status } = await call(t.app, 'PATCH', api(`/admin/products/${p.id}`), patch, adminAuth);
      expect(status).toBe(400);
    }
    expect((await call(t.app, 'GET', api(`/products/${p.id}`))).body).toMatchObject({ price: 1_000, stock: 5 });
  });

  it.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer nope' }],
    ['another scheme', { authorization: 'Basic dGVzdA==' }],
  ])('answers 401 UNAUTHORIZED with %s, before validating the body', async (_label, headers) => {
    const create = await call(t.app, 'POST', api('/admin/products'), { bad: true }, headers);
    expect(create.status).toBe(401);
    expect(create.res.headers['www-authenticate']).toBe('Bearer');
    expect(create.body.code).toBe('UNAUTHORIZED');
    const patch = await call(t.app, 'PATCH', api('/admin/products/1'), { stock: 1 }, headers);
    expect(patch.body.code).toBe('UNAUTHORIZED');
  });
});

describe('admin without ADMIN_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_TOKEN: '' } });
  });
  afterAll(() => t.close());

  it('answers 403 ADMIN_DISABLED on every admin route whatever the token', async () => {
    for (const headers of [{}, adminAuth]) {
      for (const [method, path, payload] of [
        ['POST', '/admin/products', { name: 'x', price: 1, stock: 1 }],
        ['PATCH', '/admin/products/1', { stock: 1 }],
        ['POST', '/admin/coupons', {}],
      ] as const) {
        const { status, body } = await call(t.app, method, api(path), payload, headers);
        expect(status).toBe(403);
        expect(body.code).toBe('ADMIN_DISABLED');
      }
    }
    expect(await scalar(t.database.db, 'SELECT count(*) AS v FROM products')).toBe(0);
  });
});
