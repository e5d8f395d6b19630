import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, call, createTestApp, newCoupon, newProduct, newUser, type TestApp } from '../../../test/helpers/app.js';
import { rows, scalar } from '../../../test/helpers/sql.js';
import { placeOrders, type PlaceOrderInput, type PlaceOrderResult } from './place-order.repo.js';

// Orders that leave together in one place_orders call are each answered as if placed alone, one
// after the other in the batch's order.
describe('orders placed together (place_orders)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const q = (text: string) => scalar(t.database.db, text);
  const input = (userId: number, lines: Array<[number, number]>, couponId: number | null = null): PlaceOrderInput => ({
    userId,
    lines: lines.map(([productId, quantity]) => ({ productId, quantity })),
    couponId,
    shippingFee: 3_000,
    freeShippingThreshold: 30_000,
    holdSeconds: 600,
  });
  const richUser = async (amount = 1_000_000) => {
    const id = await newUser(t.app);
    expect((await call(t.app, 'PUT', api(`/users/${id}/balance`), { amount })).status).toBe(200);
    return id;
  };
  const together = async (inputs: PlaceOrderInput[]): Promise<PlaceOrderResult[]> => {
    const settled = await placeOrders(t.database.db, inputs);
    return settled.map((s) => {
      if (s.status === 'rejected') throw s.reason;
      return s.value;
    });
  };

  it('five buyers of three units: the first three in batch order get them, the others see the stock left', async () => {
    const p = await newProduct(t.app, { price: 1_000, stock: 3 });
    const users = [await richUser(), await richUser(), await richUser(), await richUser(), await richUser()];
    const results = await together(users.map((u) => input(u, [[p.id, 1]])));
    expect(results.map((r) => r.order?.status ?? null)).toEqual(['PAID', 'PAID', 'PAID', null, null]);
    expect(results.map((r) => r.stockOk)).toEqual([true, true, true, false, false]);
    expect(results.map((r) => r.lines[0]!.stock)).toEqual([3, 2, 1, 0, 0]);
    expect(await q(`SELECT stock AS v FROM products WHERE id = ${p.id}`)).toBe(0);
    expect(await q(`SELECT count(*) AS v FROM stock_movements WHERE product_id = ${p.id} AND kind = 'RESERVE'`)).toBe(3);
  });

  it('one user twice on a balance for one: the second order is PAYMENT_FAILED, holding its stock, and sees the balance left', async () => {
    const p = await newProduct(t.app, { price: 10_000, stock: 5 });
    const u = await richUser(15_000);
    const [a, b] = await together([input(u, [[p.id, 1]]), input(u, [[p.id, 1]])]);
    expect(a!.order?.status).toBe('PAID');
    expect(b!.order?.status).toBe('PAYMENT_FAILED');
    expect(b!.balance).toBe(2_000);
    expect(await q(`SELECT balance AS v FROM users WHERE id = ${u}`)).toBe(2_000);
    expect(await q(`SELECT stock AS v FROM products WHERE id = ${p.id}`)).toBe(3);
    expect(await q(`SELECT count(*) AS v FROM balance_history WHERE user_id = ${u} AND type = 'PAYMENT'`)).toBe(1);
  });

  it('one coupon twice: the first order uses it, the second finds it used and writes nothing', async () => {
    const p = await newProduct(t.app, { price: 10_000, stock: 5 });
    const u = await richUser();
    const coupon = await newCoupon(t.app, { discountType: 'FIXED', discountValue: 1_000, maxDiscountAmount: undefined });
    expect((await call(t.app, 'POST', api('/coupons/issue'), { couponId: coupon.id, userId: u })).status).toBe(201);
    const [a, b] = await together([input(u, [[p.id, 1]], coupon.id), input(u, [[p.id, 1]], coupon.id)]);
    expect(a!.order?.status).toBe('PAID');
    expect(a!.amounts.discountAmount).toBe(1_000);
    expect(b!.order).toBeUndefined();
    expect(b!.coupon).toMatchObject({ owned: true, used: true });
    expect(await q(`SELECT stock AS v FROM products WHERE id = ${p.id}`)).toBe(4);
  });

  it('a failed check fails only its own order: unknown user, unknown product, lines over several products', async () => {
    const p1 = await newProduct(t.app, { price: 1_000, stock: 10 });
    const p2 = await newProduct(t.app, { price: 2_000, stock: 10 });
    const u = await richUser();
    const results = await together([
      input(u, [[p2.id, 2], [p1.id, 1]]),
      input(999_999_999, [[p1.id, 1]]),
      input(u, [[p1.id, 1], [999_999_999, 1]]),
      input(u, [[p1.id, 3]]),
    ]);
    expect(results[0]!.order?.status).toBe('PAID');
    expect(results[0]!.amounts).toEqual({ itemAmount: 5_000, shippingAmount: 3_000, discountAmount: 0, paymentAmount: 8_000 });
    expect(results[1]!.userFound).toBe(false);
    expect(results[2]!.order).toBeUndefined();
    expect(results[2]!.lines.map((l) => l.productId)).toEqual([p1.id]);
    expect(results[3]!.order?.status).toBe('PAID');
    expect(await q(`SELECT stock AS v FROM products WHERE id = ${p1.id}`)).toBe(6);
    expect(await q(`SELECT stock AS v FROM products WHERE id = ${p2.id}`)).toBe(8);
  });

  it('the answer is the stored order, and its order.paid event is built as a later payment builds it', async () => {
    const p = await newProduct(t.app, { price: 10_000, stock: 5 });
    const paidNow = await call(t.app, 'POST', api('/orders'), { userId: await richUser(), products: [{ productId: p.id, quantity: 2 }] });
    expect(paidNow.status).toBe(201);
    expect((await call(t.app, 'GET', api(`/orders/${paidNow.body.orderId}`))).body).toEqual(paidNow.body);

    const poor = await newUser(t.app);
    const short = await call(t.app, 'POST', api('/orders'), { userId: poor, products: [{ productId: p.id, quantity: 2 }] });
    expect(short.status).toBe(402);
    const laterId = short.body.details.orderId as number;
    expect(await q(`SELECT count(*) AS v FROM outbox WHERE aggregate_id = ${laterId}`)).toBe(0);
    expect((await call(t.app, 'PUT', api(`/users/${poor}/balance`), { amount: 1_000_000 })).status).toBe(200);
    const paidLater = await call(t.app, 'POST', api('/payments'), { orderId: laterId });
    expect(paidLater.status).toBe(200);

    const payload = async (orderId: number) =>
      (await rows<{ payload: Record<string, unknown> }>(t.database.db, `SELECT payload FROM outbox WHERE topic = 'order.paid' AND aggregate_id = ${orderId}`))[0]!.payload;
    const shape = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? v.map(shape) : typeof v]));
    const a = await payload(paidNow.body.orderId);
    const b = await payload(laterId);
    expect(shape(a)).toEqual(shape(b));
    const { orderId, orderNumber, userId, items, itemAmount, shippingAmount, discountAmount, paymentAmount, paidAt } = paidNow.body;
    expect(a).toMatchObject({ orderId, orderNumber, userId, items, itemAmount, shippingAmount, discountAmount, paymentAmount, paidAt });
    expect(b).toMatchObject({ orderId: laterId, items: paidLater.body.items, paymentAmount: paidLater.body.paymentAmount, paidAt: paidLater.body.paidAt });
  });

  it('over HTTP, 40 orders at once for 25 units leave in batches and sell exactly 25', async () => {
    const p = await newProduct(t.app, { price: 1_000, stock: 25 });
    const users = await Promise.all(Array.from({ length: 40 }, () => richUser(10_000)));
    const answers = await Promise.all(users.map((userId) => call(t.app, 'POST', api('/orders'), { userId, products: [{ productId: p.id, quantity: 1 }] })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(25);
    expect(statuses.filter((s) => s === 409)).toHaveLength(15);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body).toMatchObject({ code: 'OUT_OF_STOCK' });
    expect(await q(`SELECT stock AS v FROM products WHERE id = ${p.id}`)).toBe(0);
    expect(await q(`SELECT count(*) AS v FROM orders o JOIN order_items i ON i.order_id = o.id WHERE i.product_id = ${p.id} AND o.status = 'PAID'`)).toBe(25);
    // On the server, more than one order shared a transaction: some creation times are equal (now()
    // is the transaction's start). PGlite runs one statement at a time, so requests reach the
    // combiner one by one there.
    if (t.url === undefined) return;
    expect(
      await q(`SELECT count(*) AS v FROM (SELECT created_at FROM orders o JOIN order_items i ON i.order_id = o.id WHERE i.product_id = ${p.id} GROUP BY created_at HAVING count(*) > 1) x`),
    ).toBeGreaterThan(0);
  });
});
