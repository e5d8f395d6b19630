import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, newCoupon, newUser, type TestApp } from '../../../test/helpers/app.js';
import { issueMany, issueOne, readHolders } from './coupons.repo.js';

describe('the issuing statement', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('tells how many are left after it, so the one that took the last knows', async () => {
    const db = t.database.db;
    const coupon = await newCoupon(t.app, { totalQuantity: 3 });
    const [a, b, c, d] = [await newUser(t.app), await newUser(t.app), await newUser(t.app), await newUser(t.app)];

    const two = await issueMany(db, coupon.id, [a, b]);
    expect([two?.get(a), two?.get(b)].map((o) => o?.issued && o.left)).toEqual([1, 1]);
    const again = await issueMany(db, coupon.id, [a, c]);
    expect(again?.get(a)).toEqual({ issued: undefined, alreadyIssued: true });
    expect(again?.get(c)).toMatchObject({ left: 0 });
    expect(await issueOne(db, coupon.id, d)).toEqual({ issued: undefined, alreadyIssued: false });
  });

  it('reads the holders only once the list is final, when asked so', async () => {
    const db = t.database.db;
    const coupon = await newCoupon(t.app, { totalQuantity: 2 });
    const [a, b] = [await newUser(t.app), await newUser(t.app)];
    await issueOne(db, coupon.id, a);
    expect(await readHolders(db, coupon.id, true, true)).toEqual({ soldOut: false, issued: 1, holders: [] });
    expect(await readHolders(db, coupon.id, true)).toEqual({ soldOut: false, issued: 1, holders: [a] });
    await issueOne(db, coupon.id, b);
    expect((await readHolders(db, coupon.id, true, true))?.holders.sort()).toEqual([a, b].sort());
  });
});
