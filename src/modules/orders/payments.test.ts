import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, call, createTestApp, newCoupon, newProduct, newUser, type TestApp } from '../../../test/helpers/app.js';
import { scalar } from '../../../test/helpers/sql.js';
import { OrderExpirySweeper } from './index.js';

describe('payments, expiry and order reads', () => {
  let t: TestApp;
  let sweeper: OrderExpirySweeper;
  beforeAll(async () => {
    t = await createTestApp();
    sweeper = new OrderExpirySweeper(t.database.db, 60_000);
  });
  afterAll(() => t.close());

  const q = (text: string) => scalar(t.database.db, text);
  const exec = (text: string) => t.database.db.execute(text as never);
  const charge = (userId: number, amount: number) => call(t.app, 'PUT', api(`/users/${userId}/balance`), { amount });
  const order = (body: unknown, headers: Record<string, string> = {}) => call(t.app, 'POST', api('/orders'), body, headers);
  const pay = (orderId: unknown, headers: Record<string, string> = {}) => call(t.app, 'POST', api('/payments'), { orderId }, headers);
  const stockOf = (id: number) => q(`SELECT stock AS v FROM products WHERE id = ${id}`);
  const balanceOf = (id: number) => q(`SELECT balance AS v FROM users WHERE id = ${id}`);

  /** A PAYMENT_FAILED order of 2 units of 10,000 with a 1,000 coupon and 3,000 shipping: 22,000 to pay. */
  async function unpaidOrder() {
    const userId = await newUser(t.app);
    const coupon = await newCoupon(t.app, { discountType: 'FIXED', discountValue: 1_000, maxDiscountAmount: null });
    await call(t.app, 'POST', api('/coupons/issue'), { couponId: coupon.id, userId });
    const product = await newProduct(t.app, { price: 10_000, stock: 5 });
    const r = await order({ userId, products: [{ productId: product.id, quantity: 2 }], couponId: coupon.id });
    expect(r.status).toBe(402);
    return { userId, couponId: coupon.id, productId: product.id, orderId: r.body.details.orderId as number };
  }

  it('answers 404 ORDER_NOT_FOUND and 400 for a bad order id', async () => {
    expect((await pay(999_999)).body.code).toBe('ORDER_NOT_FOUND');
    expect((await call(t.app, 'GET', api('/orders/999999'))).status).toBe(404);
    for (const id of [0, -1, 1.5, '1', null]) expect((await pay(id)).status).toBe(400);
    expect((await call(t.app, 'POST', api('/payments'), { orderId: 1, extra: true })).status).toBe(400);
    expect((await call(t.app, 'GET', api('/orders/0x1'))).status).toBe(400);
  });

  it('cancels an unpaid order past its hold: stock and coupon come back, no money moves, and it cannot be paid', async () => {
    const { userId, couponId, productId, orderId } = await unpaidOrder();
    await charge(userId, 100_000);
    expect(await stockOf(productId)).toBe(3);
    await exec(`UPDATE orders SET hold_until = now() - interval '1 second' WHERE id = ${orderId}`);

    // Past its hold but not yet swept: refused, and nothing is taken.
    const early = await pay(orderId);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'ORDER_NOT_PAYABLE', details: { orderId, reason: 'EXPIRED' } });

    expect(await sweeper.sweep()).toBeGreaterThanOrEqual(1);
    expect((await call(t.app, 'GET', api(`/orders/${orderId}`))).body.status).toBe('CANCELLED');
    expect(await stockOf(productId)).toBe(5);
    const coupons = await call(t.app, 'GET', api(`/users/${userId}/coupons`));
    expect(coupons.body[0]).toMatchObject({ couponId, status: 'AVAILABLE', usedAt: null });
    expect(await q(`SELECT count(*) AS v FROM stock_movements WHERE order_id = ${orderId} AND kind = 'RELEASE' AND delta = 2`)).toBe(1);

    const late = await pay(orderId);
    expect(late.body).toMatchObject({ code: 'ORDER_NOT_PAYABLE', details: { reason: 'CANCELLED', status: 'CANCELLED' } });
    expect(await balanceOf(userId)).toBe(100_000);
    // The released coupon can be used again.
    const again = await order({ userId, products: [{ productId, quantity: 1 }], couponId });
    expect(again.status).toBe(201);
    expect(again.body.discountAmount).toBe(1_000);
  });

  it('sweeps nothing that is paid or still within its hold', async () => {
    const { orderId, productId } = await unpaidOrder();
    const before = await stockOf(productId);
    await sweeper.sweep();
    expect((await call(t.app, 'GET', api(`/orders/${orderId}`))).body.status).toBe('PAYMENT_FAILED');
    const userId = await newUser(t.app);
    await charge(userId, 100_000);
    const paid = await order({ userId, products: [{ productId, quantity: 1 }] });
    await exec(`UPDATE orders SET hold_until = now() - interval '1 second' WHERE id = ${paid.body.orderId}`);
    await sweeper.sweep();
    expect((await call(t.app, 'GET', api(`/orders/${paid.body.orderId}`))).body.status).toBe('PAID');
    expect(await stockOf(productId)).toBe(before - 1);
  });

  it('cancels on its own with a short hold (ORDER_HOLD_MINUTES=0.01, 0.6 s)', async () => {
    const short = await createTestApp({ env: { ORDER_HOLD_MINUTES: '0.01' } });
    try {
      const userId = await newUser(short.app);
      const p = await newProduct(short.app, { stock: 4 });
      const r = await call(short.app, 'POST', api('/orders'), { userId, products: [{ productId: p.id, quantity: 4 }] });
      expect(r.status).toBe(402);
      const s = new OrderExpirySweeper(short.database.db, 100);
      expect(await s.sweep()).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(await s.sweep()).toBe(1);
      expect((await call(short.app, 'GET', api(`/products/${p.id}`))).body.stock).toBe(4);
    } finally {
      await short.close();
    }
  });

  it("lists a user's orders newest first, a page at a time, with an exact last page", async () => {
    const userId = await newUser(t.app);
    await charge(userId, 1_000_000);
    const p = await newProduct(t.app, { price: 1_000, stock: 100 });
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push((await order({ userId, products: [{ productId: p.id, quantity: i + 1 }] })).body.orderId);
    const first = await call(t.app, 'GET', api(`/users/${userId}/orders?limit=2`));
    expect(first.body.items.map((o: { orderId: number }) => o.orderId)).toEqual([ids[3], ids[2]]);
    expect(first.body.items[0].items).toEqual([{ productId: p.id, name: 'item', unitPrice: 1_000, quantity: 4, amount: 4_000 }]);
    const second = await call(t.app, 'GET', api(`/users/${userId}/orders?limit=2&cursor=${first.body.nextCursor}`));
    expect(second.body.items.map((o: { orderId: number }) => o.orderId)).toEqual([ids[1], ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    const all = await call(t.app, 'GET', api(`/users/${userId}/orders`));
    expect(all.body.items).toHaveLength(4);
    expect(all.body.nextCursor).toBeNull();
    expect((await call(t.app, 'GET', api(`/users/${await newUser(t.app)}/orders`))).body).toEqual({ items: [], nextCursor: null });
    expect((await call(t.app, 'GET', api('/users/999999/orders'))).body.code).toBe('USER_NOT_FOUND');
    expect((await call(t.app, 'GET', api(`/users/${userId}/orders?limit=101`))).status).toBe(400);
  });

  describe('Idempotency-Key', () => {
    it('replays an order: one order, one payment', async () => {
      const userId = await newUser(t.app);
      await charge(userId, 100_000);
      const p = await newProduct(t.app, { price: 5_000, stock: 10 });
      const body = { userId, products: [{ productId: p.id, quantity: 1 }] };
      const key = { 'idempotency-key': `order-${userId}` };
      const first = await order(body, key);
      const again = await order(body, key);
      expect(first.status).toBe(201);
      expect(again).toMatchObject({ status: 201, body: first.body });
      expect(await q(`SELECT count(*) AS v FROM orders WHERE user_id = ${userId}`)).toBe(1);
      expect(await stockOf(p.id)).toBe(9);
      const other = await order({ ...body, products: [{ productId: p.id, quantity: 2 }] }, key);
      expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    });

    it('replays a payment: one deduction; a remembered 402 stays a 402 under its key', async () => {
      const { userId, orderId } = await unpaidOrder();
      const shortKey = { 'idempotency-key': `short-${orderId}` };
      const short = await pay(orderId, shortKey);
      expect(short.status).toBe(402);
      await charge(userId, 100_000);
      expect(await pay(orderId, shortKey)).toMatchObject({ status: 402, body: short.body });
      expect(await balanceOf(userId)).toBe(100_000);

      const key = { 'idempotency-key': `pay-${orderId}` };
      const first = await pay(orderId, key);
      expect(first).toMatchObject({ status: 200, body: { status: 'PAID', paymentAmount: 22_000 } });
      const again = await pay(orderId, key);
      expect(again).toMatchObject({ status: 200, body: first.body });
      expect(await balanceOf(userId)).toBe(100_000 - 22_000);
    });
  });
});
