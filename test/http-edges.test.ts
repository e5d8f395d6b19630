import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { listen, rawExchange } from './helpers/raw-http.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// What the HTTP layer refuses before a route runs, over real sockets.
describe('answers given before routing', () => {
  let t: TestApp;
  let baseUrl: string;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp({ env: { REQUEST_TIMEOUT_MS: '1000' } });
    ({ baseUrl, port } = await listen(t.app));
  });
  afterAll(() => t.close());

  const metric = async (pattern: RegExp) => (await t.app.inject({ url: '/metrics' })).body.match(pattern)?.[1];

  it.each([
    ['bad percent-encoding', '/api/v1/products/%', /percent-encoding/],
    ['an invalid UTF-8 escape', '/api/v1/products/%ff', /percent-encoding/],
    ['an over-long path parameter', `/api/v1/products/${'1'.repeat(500)}`, /too long/],
  ])('answers %s with 400 VALIDATION_ERROR, a request id, and counts it', async (_label, path, message) => {
    const before = Number((await metric(/http_requests_total\{method="GET",route="unmatched",status="400"\} (\d+)/)) ?? 0);
    const res = await fetch(baseUrl + path);
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toEqual({ code: 'VALIDATION_ERROR', message: expect.stringMatching(message) });
    expect(res.headers.get('x-request-id')).toMatch(UUID);
    expect(Number(await metric(/http_requests_total\{method="GET",route="unmatched",status="400"\} (\d+)/))).toBe(before + 1);
  });

  it.each([
    ['malformed framing', ['GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'], /Malformed/],
    ['a broken chunked body', ['POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'], /Malformed/],
    ['over-large headers', [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`], /headers are too large/],
  ])('answers %s with 400 VALIDATION_ERROR in the error model and closes', async (_label, chunks, message) => {
    const before = Number((await metric(/http_requests_total\{method="UNPARSED",route="unmatched",status="400"\} (\d+)/)) ?? 0);
    const res = await rawExchange(port, chunks);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ code: 'VALIDATION_ERROR', message: expect.stringMatching(message) });
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(res.closed).toBe(true);
    expect(Number(await metric(/http_requests_total\{method="UNPARSED",route="unmatched",status="400"\} (\d+)/))).toBe(before + 1);
  });

  it('answers a body trickling in slower than the time limit with 408 REQUEST_TIMEOUT and closes', async () => {
    const head = 'PUT /api/v1/users/1/balance HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n';
    // One byte every 400 ms: the body would need 5.6 s, the limit here is 1 s.
    const res = await rawExchange(port, [head, ...'{"amount":100}'.split('')], { gapMs: 400, waitMs: 15_000 });
    expect(res.status).toBe(408);
    expect(JSON.parse(res.body)).toEqual({ code: 'REQUEST_TIMEOUT', message: expect.any(String) });
    expect(res.closed).toBe(true);
  });

  it('answers headers that never finish with 408 too', async () => {
    const res = await rawExchange(port, ['GET /health HTTP/1.1\r\n', 'Host: x\r\n', 'X-A: 1\r\n', 'X-B: 1\r\n', 'X-C: 1\r\n', 'X-D: 1\r\n'], {
      gapMs: 400,
      waitMs: 15_000,
    });
    expect(res.status).toBe(408);
    expect(res.closed).toBe(true);
  });
});

describe('request ids', () => {
  let t: TestApp;
  let baseUrl: string;
  beforeAll(async () => {
    t = await createTestApp();
    ({ baseUrl } = await listen(t.app));
  });
  afterAll(() => t.close());

  const idFor = async (given: string) => (await fetch(`${baseUrl}/health`, { headers: { 'x-request-id': given } })).headers.get('x-request-id');

  it('keeps a short plain client id', async () => {
    expect(await idFor('abc-123')).toBe('abc-123');
    expect(await idFor('7c1e2f3a-0b1c-4d5e-8f90-a1b2c3d4e5f6')).toBe('7c1e2f3a-0b1c-4d5e-8f90-a1b2c3d4e5f6');
  });

  it.each([
    ['15 kB long', 'x'.repeat(15_000)],
    ['65 characters', 'a'.repeat(65)],
    ['with spaces', 'a b'],
    ['with quotes and braces', '"}{"'],
  ])('replaces an id %s with a fresh one', async (_label, given) => {
    expect(await idFor(given)).toMatch(UUID);
  });

  it('gives each request without an id a different one', async () => {
    const a = (await fetch(`${baseUrl}/health`)).headers.get('x-request-id');
    const b = (await fetch(`${baseUrl}/health`)).headers.get('x-request-id');
    expect(a).toMatch(UUID);
    expect(a).not.toBe(b);
  });
});
