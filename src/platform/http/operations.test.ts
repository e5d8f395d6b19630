import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, call, createTestApp, newUser, type TestApp } from '../../../test/helpers/app.js';

describe('operations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers /health and /ready', async () => {
    expect(await call(t.app, 'GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await call(t.app, 'GET', '/ready')).toMatchObject({ status: 200, body: { status: 'ready', checks: { database: 'up' } } });
  });

  it('exposes request and business metrics by route pattern', async () => {
    const userId = await newUser(t.app);
    await call(t.app, 'PUT', api(`/users/${userId}/balance`), { amount: 250 });
    await call(t.app, 'GET', api('/products/777'));
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/products\/:productId",status="404"\} 1/);
    expect(res.body).toMatch(/http_request_duration_seconds_bucket\{le="0.005",method="PUT",route="\/api\/v1\/users\/:userId\/balance",status="200"\}/);
    expect(res.body).toMatch(/balance_charged_won_total \d+/);
    expect(res.body).toMatch(/process_cpu_user_seconds_total/);
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const doc = await call(t.app, 'GET', '/docs/json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    for (const path of ['/api/v1/users', '/api/v1/users/{userId}/balance', '/api/v1/products/{productId}', '/api/v1/admin/products']) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
    const ui = await t.app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(ui.statusCode);
  });

  it('answers unknown routes with 404 NOT_FOUND', async () => {
    expect(await call(t.app, 'GET', api('/nothing-here'))).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  });

  it('echoes the request id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers['x-request-id']).toBe('abc-123');
  });
});

describe('unexpected failures', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close().catch(() => {}));

  it('answers 500 INTERNAL_SERVER_ERROR without the cause', async () => {
    const userId = await newUser(t.app);
    // A bug's stand-in: a table the code relies on is gone.
    await t.database.db.execute(sql`ALTER TABLE users RENAME TO users_gone`);
    const { status, body, res } = await call(t.app, 'GET', api(`/users/${userId}/balance/history`));
    expect(status).toBe(500);
    expect(body).toEqual({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' });
    expect(res.body).not.toMatch(/at |Error:|\.ts|users_gone/);
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After once the database is gone, and /ready turns 503', async () => {
    await t.database.close();
    const { status, body, res } = await call(t.app, 'GET', api('/users/1/balance'));
    expect(status).toBe(503);
    expect(body).toEqual({ code: 'SERVICE_UNAVAILABLE', message: expect.any(String) });
    expect(res.headers['retry-after']).toBe('1');
    const ready = await call(t.app, 'GET', '/ready');
    expect(ready).toMatchObject({ status: 503, body: { status: 'unavailable', checks: { database: 'down' } } });
  });
});

describe('readiness with Redis configured but unreachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ redisUrl: 'redis://127.0.0.1:1' });
  });
  afterAll(() => t.close());

  it('reports Redis down with 503', async () => {
    expect(await call(t.app, 'GET', '/ready')).toMatchObject({ status: 503, body: { checks: { database: 'up', redis: 'down' } } });
  });
});
