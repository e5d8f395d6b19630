import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, api, call, createTestApp, newUser, type TestApp } from '../../../test/helpers/app.js';
import { scalar } from '../../../test/helpers/sql.js';

// Issue windows at the edges of what a timestamp can say: answered exactly, or refused before anything is written.
describe('coupon issue windows at the edges', () => {
  let t: TestApp;
  let n = 0;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const define = (issueStartAt: string, issueEndAt: string) =>
    call(
      t.app,
      'POST',
      api('/admin/coupons'),
      { name: 'Edge', code: `EDGE${n++}`, discountType: 'FIXED', discountValue: 100, totalQuantity: 5, issueStartAt, issueEndAt, validityDays: 1 },
      adminAuth,
    );
  const coupons = () => scalar(t.database.db, 'SELECT count(*) AS v FROM coupons');

  it.each([
    ['1970-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '1970-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'],
    ['2030-01-01T00:00:00+14:00', '2030-01-01T00:00:00-12:00', '2029-12-31T10:00:00.000Z', '2030-01-01T12:00:00.000Z'],
    ['2999-03-01T00:00:00.123000Z', '2999-03-01T00:00:00.1240+00:00', '2999-03-01T00:00:00.123Z', '2999-03-01T00:00:00.124Z'],
  ])('stores and answers %s .. %s exactly', async (start, end, isoStart, isoEnd) => {
    const created = await define(start, end);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ issueStartAt: isoStart, issueEndAt: isoEnd });
    // Read back by the issuer: a window not yet open names its exact bounds.
    if (Date.parse(isoStart) > Date.now()) {
      const userId = await newUser(t.app);
      const refused = await call(t.app, 'POST', api('/coupons/issue'), { couponId: created.body.id, userId });
      expect(refused.body).toMatchObject({ code: 'COUPON_NOT_ACTIVE', details: { issueStartAt: isoStart, issueEndAt: isoEnd } });
    }
  });

  it.each([
    ['year 0017', '0017-01-01T00:00:00Z', '2030-01-01T00:00:00Z', /issueStartAt must be between/],
    ['year 0049', '0049-01-01T00:00:00Z', '0099-01-01T00:00:00Z', /issueStartAt must be between/],
    ['year 0000', '0000-01-01T00:00:00Z', '2030-01-01T00:00:00Z', /issueStartAt must be between/],
    ['an offset pushing past 9999', '2030-01-01T00:00:00Z', '9999-12-31T23:59:59-23:59', /issueEndAt must be between/],
    ['a leap second', '2016-12-31T23:59:60Z', '2030-01-01T00:00:00Z', /issueStartAt is a leap second/],
    ['sub-millisecond precision', '2030-01-01T00:00:00.0001Z', '2031-01-01T00:00:00Z', /millisecond/],
    ['February 30th', '2030-02-30T00:00:00Z', '2031-01-01T00:00:00Z', /calendar|date-time/],
    ['an end before the start', '2031-01-01T00:00:00Z', '2030-01-01T00:00:00Z', /issueEndAt must be after issueStartAt/],
  ])('refuses %s with 400 and writes nothing', async (_label, start, end, message) => {
    const before = await coupons();
    const { status, body } = await define(start, end);
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(message) });
    expect(await coupons()).toBe(before);
  });
});
