import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, createTestApp, HOUR, newCoupon, newProduct, newUser, type TestApp } from './helpers/app.js';
import { listen } from './helpers/raw-http.js';
import { scalar } from './helpers/sql.js';

// What a JSON body may hold, over real HTTP: the bytes go through the server's own body parser.
describe('JSON bodies', () => {
  let t: TestApp;
  let baseUrl: string;
  beforeAll(async () => {
    t = await createTestApp();
    ({ baseUrl } = await listen(t.app));
  });
  afterAll(() => t.close());

  const send = async (method: string, path: string, body: string | Buffer, headers: Record<string, string> = {}) => {
    const res = await fetch(`${baseUrl}/api/v1${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, body: (await res.json()) as { code?: string; message?: string; [k: string]: unknown } };
  };
  const count = (table: string) => scalar(t.database.db, `SELECT count(*) AS v FROM ${table}`);
  const balanceOf = async (userId: number) => scalar(t.database.db, `SELECT balance AS v FROM users WHERE id = ${userId}`);

  describe('refuse unknown fields with 400 and change nothing', () => {
    it('on POST /users', async () => {
      const before = await count('users');
      const res = await send('POST', '/users', JSON.stringify({ name: 'mallory', balance: 1_000_000 }));
      expect(res).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR' } });
      expect(JSON.stringify(res.body)).toContain('balance');
      expect(await count('users')).toBe(before);
    });

    it('on PUT /users/:id/balance', async () => {
      const userId = await newUser(t.app);
      const res = await send('PUT', `/users/${userId}/balance`, JSON.stringify({ amount: 10, userId: userId + 1 }));
      expect(res).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR' } });
      expect(await balanceOf(userId)).toBe(0);
    });

    it('on POST /coupons/issue', async () => {
      const userId = await newUser(t.app);
      const coupon = await newCoupon(t.app);
      const res = await send('POST', '/coupons/issue', JSON.stringify({ couponId: coupon.id, userId, status: 'USED' }));
      expect(res).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR' } });
      expect(await count('coupon_issues')).toBe(0);
    });

    it('on the admin routes, including PATCH of a product', async () => {
      const p = await newProduct(t.app, { name: 'Lamp', price: 1_000, stock: 5 });
      const products = await count('products');
      expect((await send('POST', '/admin/products', JSON.stringify({ name: 'x', price: 1, stock: 1, id: 999 }), adminAuth)).status).toBe(400);
      for (const patch of [{ name: { a: 1 } }, { name: null }, { id: 999 }, { stock: 1, updatedAt: 'x' }]) {
        expect((await send('PATCH', `/admin/products/${p.id}`, JSON.stringify(patch), adminAuth)).status).toBe(400);
      }
      const coupon = {
        name: 'c',
        code: 'UNKNOWNFIELD',
        discountType: 'FIXED',
        discountValue: 100,
        totalQuantity: 1,
        issueStartAt: new Date(Date.now() - HOUR).toISOString(),
        issueEndAt: new Date(Date.now() + HOUR).toISOString(),
        validityDays: 1,
        issuedQuantity: 1,
      };
      expect((await send('POST', '/admin/coupons', JSON.stringify(coupon), adminAuth)).status).toBe(400);
      expect(await count('products')).toBe(products);
      expect(await scalar(t.database.db, `SELECT count(*) AS v FROM coupons WHERE code = 'UNKNOWNFIELD'`)).toBe(0);
      expect(await scalar(t.database.db, `SELECT count(*) AS v FROM products WHERE id = ${p.id} AND name = 'Lamp' AND stock = 5`)).toBe(1);
    });
  });

  it('refuses invalid UTF-8 with 400 and stores nothing, while accepting any valid text', async () => {
    const before = await count('users');
    const bad = Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b"}')]);
    expect(await send('POST', '/users', bad)).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR', message: expect.stringMatching(/UTF-8/) } });
    const overlong = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
    expect((await send('POST', '/users', overlong)).status).toBe(400);
    expect(await count('users')).toBe(before);
    expect(await send('POST', '/users', Buffer.from('{"name":"김민수 🛒"}'))).toMatchObject({ status: 201, body: { name: '김민수 🛒' } });
  });

  it('refuses an unpaired surrogate escape with 400', async () => {
    const before = await count('users');
    expect((await send('POST', '/users', '{"name":"a\\ud800b"}')).status).toBe(400);
    expect((await send('POST', '/users', '{"name":"\\udc00"}')).status).toBe(400);
    expect(await count('users')).toBe(before);
    expect((await send('POST', '/users', '{"name":"\\ud83d\\uded2"}')).status).toBe(201);
  });

  it('refuses a __proto__ key saying why', async () => {
    const res = await send('POST', '/users', '{"name":"x","__proto__":{"admin":true}}');
    expect(res).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR', message: expect.stringMatching(/__proto__/) } });
    expect((await send('POST', '/users', '{"name":"x","constructor":{"prototype":{"a":1}}}')).body.message).toMatch(/prototype/);
    expect((await send('POST', '/users', '{"name":')).body.message).toMatch(/not valid JSON/);
  });

  it('refuses a number written with a fraction or an exponent, even when it parses as a whole number', async () => {
    const userId = await newUser(t.app);
    for (const amount of ['999999.9999999999999', '100.0', '1e3', '1E2', '10.5', '-0.0']) {
      const res = await send('PUT', `/users/${userId}/balance`, `{"amount":${amount}}`);
      expect(res, amount).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR', message: expect.stringMatching(/whole/) } });
    }
    expect(await balanceOf(userId)).toBe(0);
    // Digits, dots and e's inside strings are text, not numbers.
    expect((await send('POST', '/users', '{"name":"v1.5e3 true.false"}')).status).toBe(201);
    expect((await send('PUT', `/users/${userId}/balance`, '{ "amount" : 1000 }')).body).toMatchObject({ balance: 1_000 });
  });

  describe('names', () => {
    it.each([
      ['a zero-width space alone', '\u200B'],
      ['only format characters', '\u200B\u200C\u200D\u2060\uFEFF'],
      ['a Hangul filler between spaces', ' \u3164 '],
      ['a combining mark alone', '\u0301'],
      ['a right-to-left override', 'abc\u202Edef'],
      ['a bidi isolate', 'x\u2066y\u2069'],
      ['a C1 control', 'a\u0085b'],
    ])('refuses %s with 400', async (_label, name) => {
      const before = await count('users');
      expect(await send('POST', '/users', JSON.stringify({ name }))).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR' } });
      expect((await send('POST', '/admin/products', JSON.stringify({ name, price: 1, stock: 1 }), adminAuth)).status).toBe(400);
      expect(await count('users')).toBe(before);
    });

    it.each([
      ['Hangul', '김민수'],
      ['Arabic with a right-to-left mark', 'محمد\u200F'],
      ['a combining accent', 'Jose\u0301'],
      ['an emoji joined by ZWJ', '👨\u200D👩\u200D👧'],
    ])('accepts %s', async (_label, name) => {
      expect(await send('POST', '/users', JSON.stringify({ name }))).toMatchObject({ status: 201, body: { name } });
    });
  });
});
