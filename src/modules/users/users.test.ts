import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, call, createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { scalar } from '../../../test/helpers/sql.js';

describe('POST /users', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('registers a user with a zero balance', async () => {
    const { status, body } = await call(t.app, 'POST', api('/users'), { name: 'Kim' });
    expect(status).toBe(201);
    expect(body).toEqual({ userId: expect.any(Number), name: 'Kim', balance: 0 });
    const read = await call(t.app, 'GET', api(`/users/${body.userId}/balance`));
    expect(read.body).toEqual(body);
  });

  it('accepts a name of exactly 30 characters', async () => {
    const { status } = await call(t.app, 'POST', api('/users'), { name: 'x'.repeat(30) });
    expect(status).toBe(201);
  });

  it.each([
    ['no name', {}],
    ['an empty name', { name: '' }],
    ['a blank name', { name: '   ' }],
    ['a 31-character name', { name: 'x'.repeat(31) }],
    ['a number for a name', { name: 42 }],
    ['an array body', [{ name: 'Kim' }]],
    ['a NUL character', { name: 'a\u0000b' }],
    ['a control character', { name: 'a\nb' }],
  ])('rejects %s with 400 VALIDATION_ERROR and creates nothing', async (_label, payload) => {
    const before = await scalar(t.database.db, 'SELECT count(*) AS v FROM users');
    const { status, body } = await call(t.app, 'POST', api('/users'), payload);
    expect(status).toBe(400);
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(await scalar(t.database.db, 'SELECT count(*) AS v FROM users')).toBe(before);
  });

  it('rejects malformed JSON with 400 VALIDATION_ERROR', async () => {
    const res = await t.app.inject({ method: 'POST', url: api('/users'), headers: { 'content-type': 'application/json' }, payload: '{"name":' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 'VALIDATION_ERROR', message: expect.any(String) });
  });
});
