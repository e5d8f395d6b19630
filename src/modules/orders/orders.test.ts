import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, call, createTestApp, newCoupon, newProduct, newUser, type TestApp } from '../../../test/helpers/app.js';
import { rows, scalar } from '../../../test/helpers/sql.js';

// SHIPPING_FEE 3,000 below FREE_SHIPPING_THRESHOLD 30,000 (the defaults), set explicitly to be sure.
describe('orders and payments', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { SHIPPING_FEE: '3000', FREE_SHIPPING_THRESHOLD: '30000', ORDER_HOLD_MINUTES: '10' } });
  });
  afterAll(() => t.close());

  const q = (text: string) => scalar(t.database.db, text);
  const charge = (userId: number, amount: number) => call(t.app, 'PUT', api(`/users/${userId}/balance`), { amount });
  const order = (body: unknown, headers: Record<string, string> = {}) => call(t.app, 'POST', api('/orders'), body, headers);
  const pay = (orderId: unknown, headers: Record<string, string> = {}) => call(t.app, 'POST', api('/payments'), { orderId }, headers);
  const richUser = async (amount = 1_000_000) => {
    const id = await newUser(t.app);
    await charge(id, amount);
    return id;
  };
  const issue = async (userId: number, c: Record<string, unknown>) => {
    const coupon = await newCoupon(t.app, c);
    const r = await call(t.app, 'POST', api('/coupons/issue'), { couponId: coupon.id, userId });
    expect(r.status).toBe(201);
    return coupon.id;
  };
  const stockOf = (id: number) => q(`SELECT stock AS v FROM products WHERE id = ${id}`);
  const balanceOf = (id: number) => q(`SELECT balance AS v FROM users WHERE id = ${id}`);

  it('orders and pays in one call: 201 PAID with amounts, stock taken, balance taken, ledger and event written', async () => {
    const userId = await richUser(100_000);
    const a = await newProduct(t.app, { name: 'Pen', price: 1_500, stock: 10 });
    const b = await newProduct(t.app, { name: 'Ink', price: 2_000, stock: 5 });
    const { status, body } = await order({ userId, products: [{ productId: b.id, quantity: 2 }, { productId: a.id, quantity: 3 }] });
    expect(status).toBe(201);
    expect(body).toEqual({
      orderId: expect.any(Number),
      orderNumber: expect.stringMatching(/^ORD-\d{8}-\d{8,}$/),
      userId,
      status: 'PAID',
      items: [
        { productId: b.id, name: 'Ink', unitPrice: 2_000, quantity: 2, amount: 4_000 },
        { productId: a.id, name: 'Pen', unitPrice: 1_500, quantity: 3, amount: 4_500 },
      ],
      itemAmount: 8_500,
      shippingAmount: 3_000,
      discountAmount: 0,
      paymentAmount: 11_500,
      couponId: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      paidAt: expect.stringMatching(/Z$/),
    });
    expect(await stockOf(a.id)).toBe(7);
    expect(await stockOf(b.id)).toBe(3);
    expect(await balanceOf(userId)).toBe(100_000 - 11_500);
    const history = await call(t.app, 'GET', api(`/users/${userId}/balance/history`));
    expect(history.body[0]).toMatchObject({ type: 'PAYMENT', amount: 11_500, balanceAfter: 88_500, orderId: body.orderId });
    expect(await q(`SELECT count(*) AS v FROM outbox WHERE aggregate_id = ${body.orderId} AND topic = 'order.paid'`)).toBe(1);
    expect(await q(`SELECT sum(delta) AS v FROM stock_movements WHERE order_id = ${body.orderId} AND kind = 'RESERVE'`)).toBe(-5);
    expect((await call(t.app, 'GET', api(`/orders/${body.orderId}`))).body).toEqual(body);
  });

  it('writes the order.paid event with the contract fields', async () => {
    const userId = await richUser();
    const p = await newProduct(t.app, { price: 40_000 });
    const { body } = await order({ userId, products: [{ productId: p.id, quantity: 1 }] });
    const [event] = await rows(t.database.db, `SELECT event_id, payload FROM outbox WHERE aggregate_id = ${body.orderId}`);
    expect(event!.payload).toEqual({
      eventId: event!.event_id,
      orderId: body.orderId,
      orderNumber: body.orderNumber,
      userId,
      items: body.items,
      itemAmount: 40_000,
      shippingAmount: 0,
      discountAmount: 0,
      paymentAmount: 40_000,
      paidAt: body.paidAt,
    });
  });

  describe('amounts', () => {
    it.each([
      ['below the threshold pays shipping', 29_999, 3_000],
      ['exactly the threshold ships free', 30_000, 0],
      ['above the threshold ships free', 30_001, 0],
    ])('%s', async (_label, price, shipping) => {
      const userId = await richUser();
      const p = await newProduct(t.app, { price });
      const { body } = await order({ userId, products: [{ productId: p.id, quantity: 1 }] });
      expect(body).toMatchObject({ itemAmount: price, shippingAmount: shipping, paymentAmount: price + shipping });
    });

    it.each([
      ['FIXED', { discountType: 'FIXED', discountValue: 5_000, maxDiscountAmount: null }, 20_000, 5_000],
      ['FIXED above the item amount is capped by it', { discountType: 'FIXED', discountValue: 50_000, maxDiscountAmount: null }, 20_000, 20_000],
      ['PERCENTAGE floors', { discountType: 'PERCENTAGE', discountValue: 15, maxDiscountAmount: null }, 9_999, 1_499],
      ['PERCENTAGE capped by maxDiscountAmount', { discountType: 'PERCENTAGE', discountValue: 50, maxDiscountAmount: 3_000 }, 20_000, 3_000],
      ['PERCENTAGE below the cap', { discountType: 'PERCENTAGE', discountValue: 10, maxDiscountAmount: 3_000 }, 20_000, 2_000],
      ['PERCENTAGE 100 takes the whole item amount', { discountType: 'PERCENTAGE', discountValue: 100, maxDiscountAmount: null }, 20_000, 20_000],
      ['PERCENTAGE with a zero cap', { discountType: 'PERCENTAGE', discountValue: 10, maxDiscountAmount: 0 }, 20_000, 0],
    ])('%s', async (_label, coupon, price, discount) => {
      const userId = await richUser();
      const couponId = await issue(userId, coupon);
      const p = await newProduct(t.app, { price });
      const { status, body } = await order({ userId, products: [{ productId: p.id, quantity: 1 }], couponId });
      expect(status).toBe(201);
      expect(body).toMatchObject({ itemAmount: price, discountAmount: discount, shippingAmount: 3_000, paymentAmount: price - discount + 3_000, couponId });
      const owned = await call(t.app, 'GET', api(`/users/${userId}/coupons`));
      expect(owned.body[0]).toMatchObject({ couponId, status: 'USED', usedAt: expect.any(String) });
      // Shipping is decided on the item amount before the discount.
    });

    it('decides free shipping on the item amount before the discount', async () => {
      const userId = await richUser();
      const couponId = await issue(userId, { discountType: 'FIXED', discountValue: 10_000, maxDiscountAmount: null });
      const p = await newProduct(t.app, { price: 30_000 });
      const { body } = await order({ userId, products: [{ productId: p.id, quantity: 1 }], couponId });
      expect(body).toMatchObject({ itemAmount: 30_000, discountAmount: 10_000, shippingAmount: 0, paymentAmount: 20_000 });
    });

    it('accepts an order exactly at the minimum order amount and refuses one below it', async () => {
      const userId = await richUser();
      const couponId = await issue(userId, { discountType: 'FIXED', discountValue: 1_000, maxDiscountAmount: null, minimumOrderAmount: 10_000 });
      const p = await newProduct(t.app, { price: 5_000 });
      const below = await order({ userId, products: [{ productId: p.id, quantity: 1 }], couponId });
      expect(below.status).toBe(409);
      expect(below.body).toMatchObject({ code: 'COUPON_NOT_USABLE', details: { couponId, reason: 'MINIMUM_NOT_MET', minimumOrderAmount: 10_000, itemAmount: 5_000 } });
      const exact = await order({ userId, products: [{ productId: p.id, quantity: 2 }], couponId });
      expect(exact.status).toBe(201);
      expect(exact.body.discountAmount).toBe(1_000);
    });
  });

  describe('refusals, in the contract order, change nothing', () => {
    const snapshot = () =>
      Promise.all([
        q('SELECT count(*) AS v FROM orders'),
        q('SELECT coalesce(sum(stock), 0) AS v FROM products'),
        q('SELECT coalesce(sum(balance), 0) AS v FROM users'),
        q('SELECT count(*) AS v FROM coupon_issues WHERE used_at IS NOT NULL'),
        q('SELECT count(*) AS v FROM outbox'),
        q('SELECT count(*) AS v FROM stock_movements'),
      ]);

    it.each([
      ['no products', { products: [] }],
      ['51 lines', { products: Array.from({ length: 51 }, (_, i) => ({ productId: i + 1, quantity: 1 })) }],
      ['quantity 0', { products: [{ productId: 1, quantity: 0 }] }],
      ['quantity 1,001', { products: [{ productId: 1, quantity: 1_001 }] }],
      ['a fractional quantity', { products: [{ productId: 1, quantity: 1.5 }] }],
      ['a string quantity', { products: [{ productId: 1, quantity: '1' }] }],
      ['a product listed twice', { products: [{ productId: 1, quantity: 1 }, { productId: 1, quantity: 2 }] }],
      ['an extra field', { products: [{ productId: 1, quantity: 1 }], discount: 100 }],
      ['an extra field in a line', { products: [{ productId: 1, quantity: 1, price: 1 }] }],
      ['a zero couponId', { products: [{ productId: 1, quantity: 1 }], couponId: 0 }],
      ['a missing userId', { userId: undefined, products: [{ productId: 1, quantity: 1 }] }],
    ])('400 VALIDATION_ERROR for %s, even for an unknown user', async (_label, patch) => {
      const before = await snapshot();
      const { status, body } = await order({ userId: 999_999, ...patch });
      expect(status).toBe(400);
      expect(body.code).toBe('VALIDATION_ERROR');
      expect(await snapshot()).toEqual(before);
    });

    it('404 USER_NOT_FOUND before an unknown product', async () => {
      const before = await snapshot();
      const { status, body } = await order({ userId: 999_999, products: [{ productId: 999_999, quantity: 1 }] });
      expect(status).toBe(404);
      expect(body).toMatchObject({ code: 'USER_NOT_FOUND', details: { userId: 999_999 } });
      expect(await snapshot()).toEqual(before);
    });

    it('404 PRODUCT_NOT_FOUND names the first unknown product, before the coupon and stock', async () => {
      const userId = await richUser();
      const p = await newProduct(t.app, { stock: 0 });
      const before = await snapshot();
      const { status, body } = await order({
        userId,
        products: [{ productId: p.id, quantity: 5 }, { productId: 888_888, quantity: 1 }, { productId: 999_999, quantity: 1 }],
        couponId: 777_777,
      });
      expect(status).toBe(404);
      expect(body).toMatchObject({ code: 'PRODUCT_NOT_FOUND', details: { productId: 888_888 } });
      expect(await snapshot()).toEqual(before);
    });

    it('409 COUPON_NOT_USABLE for a coupon the user does not hold (or that does not exist), before stock', async () => {
      const userId = await richUser();
      const other = await richUser();
      const othersCoupon = await issue(other, {});
      const p = await newProduct(t.app, { stock: 0 });
      const before = await snapshot();
      for (const couponId of [othersCoupon, 999_999]) {
        const { status, body } = await order({ userId, products: [{ productId: p.id, quantity: 1 }], couponId });
        expect(status).toBe(409);
        expect(body).toMatchObject({ code: 'COUPON_NOT_USABLE', details: { couponId, reason: 'NOT_OWNED' } });
      }
      expect(await snapshot()).toEqual(before);
    });

    it('409 COUPON_NOT_USABLE for a used coupon, and for an expired one', async () => {
      const userId = await richUser();
      const couponId = await issue(userId, {});
      const p = await newProduct(t.app, { stock: 10 });
      expect((await order({ userId, products: [{ productId: p.id, quantity: 1 }], couponId })).status).toBe(201);
      const before = await snapshot();
      const used = await order({ userId, products: [{ productId: p.id, quantity: 1 }], couponId });
      expect(used.body).toMatchObject({ code: 'COUPON_NOT_USABLE', details: { reason: 'USED' } });

      const expiring = await issue(userId, {});
      await t.database.db.execute(
        `UPDATE coupon_issues SET issued_at = now() - interval '8 days', expires_at = now() WHERE coupon_id = ${expiring}` as never,
      );
      const expired = await order({ userId, products: [{ productId: p.id, quantity: 1 }], couponId: expiring });
      expect(expired.status).toBe(409);
      expect(expired.body).toMatchObject({ code: 'COUPON_NOT_USABLE', details: { reason: 'EXPIRED' } });
      expect(await snapshot()).toEqual(before);
    });

    it('409 OUT_OF_STOCK names the short line and reserves nothing of the others', async () => {
      const userId = await richUser();
      const plenty = await newProduct(t.app, { stock: 100 });
      const scarce = await newProduct(t.app, { stock: 2 });
      const couponId = await issue(userId, {});
      const before = await snapshot();
      const { status, body } = await order({
        userId,
        products: [{ productId: plenty.id, quantity: 10 }, { productId: scarce.id, quantity: 3 }],
        couponId,
      });
      expect(status).toBe(409);
      expect(body).toEqual({
        code: 'OUT_OF_STOCK',
        message: expect.any(String),
        details: { productId: scarce.id, requested: 3, available: 2 },
      });
      expect(await snapshot()).toEqual(before);
      expect(await stockOf(plenty.id)).toBe(100);
    });

    it('takes exactly the last units', async () => {
      const userId = await richUser();
      const p = await newProduct(t.app, { stock: 3 });
      expect((await order({ userId, products: [{ productId: p.id, quantity: 3 }] })).status).toBe(201);
      expect(await stockOf(p.id)).toBe(0);
      expect((await order({ userId, products: [{ productId: p.id, quantity: 1 }] })).body).toMatchObject({
        code: 'OUT_OF_STOCK',
        details: { productId: p.id, requested: 1, available: 0 },
      });
    });
  });

  describe('402 INSUFFICIENT_BALANCE', () => {
    it('leaves the order PAYMENT_FAILED holding stock and coupon, takes no money; /payments pays it later', async () => {
      const userId = await richUser(10_000);
      const couponId = await issue(userId, { discountType: 'FIXED', discountValue: 1_000, maxDiscountAmount: null });
      const p = await newProduct(t.app, { price: 12_000, stock: 5 });
      const refused = await order({ userId, products: [{ productId: p.id, quantity: 1 }], couponId });
      expect(refused.status).toBe(402);
      const orderId = refused.body.details.orderId;
      expect(refused.body).toEqual({
        code: 'INSUFFICIENT_BALANCE',
        message: expect.any(String),
        details: { orderId, status: 'PAYMENT_FAILED', paymentAmount: 14_000, balance: 10_000 },
      });
      expect(await balanceOf(userId)).toBe(10_000);
      expect(await stockOf(p.id)).toBe(4);
      expect((await call(t.app, 'GET', api(`/orders/${orderId}`))).body).toMatchObject({ status: 'PAYMENT_FAILED', paidAt: null, couponId });
      expect((await call(t.app, 'GET', api(`/users/${userId}/coupons`))).body[0]).toMatchObject({ couponId, status: 'USED' });
      expect(await q(`SELECT count(*) AS v FROM outbox WHERE aggregate_id = ${orderId}`)).toBe(0);

      const stillShort = await pay(orderId);
      expect(stillShort.status).toBe(402);
      expect(stillShort.body.details).toEqual({ orderId, status: 'PAYMENT_FAILED', paymentAmount: 14_000, balance: 10_000 });

      await charge(userId, 4_000);
      const paid = await pay(orderId);
      expect(paid.status).toBe(200);
      expect(paid.body).toMatchObject({ orderId, status: 'PAID', paymentAmount: 14_000, paidAt: expect.stringMatching(/Z$/) });
      expect(await balanceOf(userId)).toBe(0);
      expect(await stockOf(p.id)).toBe(4);
      expect(await q(`SELECT count(*) AS v FROM outbox WHERE aggregate_id = ${orderId}`)).toBe(1);

      const again = await pay(orderId);
      expect(again).toMatchObject({ status: 200, body: paid.body });
      expect(await balanceOf(userId)).toBe(0);
      expect(await q(`SELECT count(*) AS v FROM balance_history WHERE order_id = ${orderId}`)).toBe(1);
    });
  });
});

