import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, api, call, createTestApp, newProduct, newUser, type TestApp } from '../../../test/helpers/app.js';
import { rows, scalar } from '../../../test/helpers/sql.js';

describe('stock an operator can audit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const patch = (id: number, body: unknown) => call(t.app, 'PATCH', api(`/admin/products/${id}`), body, adminAuth);
  const movements = (id: number) =>
    rows<{ kind: string; delta: number }>(t.database.db, `SELECT kind, delta FROM stock_movements WHERE product_id = ${id} ORDER BY id`);
  const sumOf = (id: number) => scalar(t.database.db, `SELECT coalesce(sum(delta), 0) AS v FROM stock_movements WHERE product_id = ${id}`);

  it('records the opening stock, a set (delta from the row it replaced, reservations included), a delta and a reservation', async () => {
    const p = await newProduct(t.app, { price: 1_000, stock: 10 });
    const userId = await newUser(t.app);
    await call(t.app, 'PUT', api(`/users/${userId}/balance`), { amount: 100_000 });
    // An order reserves 4 between the operator's read (10) and write.
    expect((await call(t.app, 'POST', api('/orders'), { userId, products: [{ productId: p.id, quantity: 4 }] })).status).toBe(201);
    expect((await patch(p.id, { stock: 20 })).body).toMatchObject({ stock: 20 });
    expect((await patch(p.id, { stockDelta: 5 })).body).toMatchObject({ stock: 25 });
    expect((await patch(p.id, { stockDelta: -25 })).body).toMatchObject({ stock: 0 });
    expect((await patch(p.id, { stock: 0 })).body).toMatchObject({ stock: 0 });
    expect((await movements(p.id)).map((m) => [m.kind, Number(m.delta)])).toEqual([
      ['INITIAL', 10],
      ['RESERVE', -4],
      ['ADMIN_SET', 14],
      ['ADMIN_DELTA', 5],
      ['ADMIN_DELTA', -25],
    ]);
    expect(await sumOf(p.id)).toBe(0);
  });

  it('refuses a delta below zero with 409 OUT_OF_STOCK and changes nothing', async () => {
    const p = await newProduct(t.app, { stock: 3 });
    const { status, body } = await patch(p.id, { stockDelta: -4, price: 5_000 });
    expect(status).toBe(409);
    expect(body).toMatchObject({ code: 'OUT_OF_STOCK', details: { productId: p.id, requested: 4, available: 3 } });
    expect((await call(t.app, 'GET', api(`/products/${p.id}`))).body).toMatchObject({ stock: 3, price: 1_000 });
    expect(await movements(p.id)).toHaveLength(1);
  });

  it('refuses a delta past the stock limit with 400', async () => {
    const p = await newProduct(t.app, { stock: 2_000_000_000 });
    expect((await patch(p.id, { stockDelta: 1 })).body.code).toBe('VALIDATION_ERROR');
    expect(await sumOf(p.id)).toBe(2_000_000_000);
  });

  it.each([
    ['stock and stockDelta together', { stock: 1, stockDelta: 1 }],
    ['an unknown field', { name: 'renamed' }],
    ['a name object', { name: { a: 1 } }],
    ['an id', { id: 999 }],
    ['a fractional delta', { stockDelta: 1.5 }],
    ['a string delta', { stockDelta: '1' }],
    ['a delta past the limit', { stockDelta: 2_000_000_001 }],
  ])('answers 400 for %s and changes nothing', async (_label, body) => {
    const p = await newProduct(t.app, { name: 'kept', stock: 7 });
    const r = await patch(p.id, body);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_ERROR');
    expect((await call(t.app, 'GET', api(`/products/${p.id}`))).body).toEqual({ id: p.id, name: 'kept', price: 1_000, stock: 7 });
    expect(await movements(p.id)).toHaveLength(1);
  });

  it('answers 404 for a delta on an unknown product', async () => {
    expect((await patch(987_654, { stockDelta: 1 })).body.code).toBe('PRODUCT_NOT_FOUND');
  });
});
