import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, api, call, createTestApp, newCoupon, newProduct, newUser, type TestApp } from './helpers/app.js';
import { listen } from './helpers/raw-http.js';

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  const?: unknown;
  enum?: unknown[];
  minimum?: number;
  format?: string;
  pattern?: string;
  default?: unknown;
  items?: Schema;
};
interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, unknown>;
  security?: unknown[];
}
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

// Every route of the document, checked against what the server really answers over HTTP.
describe('the OpenAPI document tells the truth', () => {
  let t: TestApp;
  let baseUrl: string;
  let doc: { paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>> };
  const ids: Record<string, number> = {};
  let n = 0;

  beforeAll(async () => {
    t = await createTestApp();
    ({ baseUrl } = await listen(t.app));
    doc = (await (await fetch(`${baseUrl}/docs/json`)).json()) as typeof doc;
    ids['userId'] = await newUser(t.app);
    ids['productId'] = (await newProduct(t.app)).id;
    ids['couponId'] = (await newCoupon(t.app)).id;
    // Orders are paid from the balance, and a payment needs an unpaid order of a user who can now pay.
    await call(t.app, 'PUT', api(`/users/${ids['userId']}/balance`), { amount: 1_000_000 });
    const payer = await newUser(t.app);
    const unpaid = await call(t.app, 'POST', api('/orders'), { userId: payer, products: [{ productId: ids['productId'], quantity: 1 }] });
    ids['orderId'] = unpaid.body.details.orderId;
    await call(t.app, 'PUT', api(`/users/${payer}/balance`), { amount: 1_000_000 });
  });
  afterAll(() => t.close());

  /** A value the schema accepts, chosen by the property's name when it names an entity or a time. */
  function example(s: Schema, name = ''): unknown {
    if (ids[name] !== undefined) return ids[name];
    if (name === 'issueStartAt') return new Date(Date.now() - 3_600_000).toISOString();
    if (name === 'issueEndAt') return new Date(Date.now() + 86_400_000).toISOString();
    if (name === 'code') return `DOC${n++}`;
    if (s.anyOf) return example(s.anyOf.find((x) => x.type !== 'null') ?? s.anyOf[0]!, name);
    if (s.const !== undefined) return s.const;
    if (s.enum) return s.enum[0];
    if (s.type === 'integer' || s.type === 'number') return Math.max(s.minimum ?? 1, 1);
    if (s.type === 'boolean') return true;
    if (s.type === 'array') return [example(s.items ?? {}, name)];
    if (s.type === 'object') return Object.fromEntries((s.required ?? []).map((k) => [k, example(s.properties?.[k] ?? {}, k)]));
    return 'Doc';
  }

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => ({ path, method: m.toUpperCase(), op: item[m]!, methods: METHODS.filter((x) => item[x]) })),
    );

  async function send(method: string, path: string, op: Operation, change: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown; auth?: boolean } = {}) {
    const params = Object.fromEntries((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => [p.name, String(example(p.schema ?? {}, p.name))]));
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => change.params?.[name] ?? params[name]!);
    const required = Object.fromEntries((op.parameters ?? []).filter((p) => p.in === 'query' && p.required).map((p) => [p.name, String(example(p.schema ?? {}, p.name))]));
    const query = new URLSearchParams(change.query ?? required).toString();
    const headers: Record<string, string> = change.auth === false || !op.security ? {} : { ...adminAuth };
    const body = 'body' in change ? change.body : op.requestBody ? example(op.requestBody.content['application/json']!.schema) : undefined;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${url}${query ? `?${query}` : ''}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: await res.text(), allow: res.headers.get('allow') };
  }

  const declared = (op: Operation) => Object.keys(op.responses).map(Number);

  it('lists the API routes', () => {
    expect(operations().filter((o) => o.path.startsWith('/api/v1')).length).toBeGreaterThanOrEqual(8);
  });

  it('answers a request with only the required parts with a success it declares', async () => {
    for (const { path, method, op } of operations()) {
      const res = await send(method, path, op);
      expect(declared(op), `${method} ${path} answered ${res.status} ${res.body}`).toContain(res.status);
      expect(res.status, `${method} ${path}: ${res.body}`).toBeLessThan(300);
    }
  });

  it('refuses what it calls required when it is missing, and needs nothing it does not call required', async () => {
    for (const { path, method, op } of operations()) {
      for (const p of op.parameters ?? []) {
        if (p.in === 'path') {
          const res = await send(method, path, op, { params: { [p.name]: '0' } });
          expect([res.status, declared(op)], `${method} ${path} with ${p.name}=0`).toEqual([400, expect.arrayContaining([400])]);
        }
        // A parameter with a default is not required (the success above was sent without it).
        if (p.schema?.default !== undefined) expect(p.required ?? false, `${method} ${path} ?${p.name}`).toBe(false);
        if (p.in === 'query' && p.required) {
          const res = await send(method, path, op, { query: {} });
          expect([res.status, declared(op)], `${method} ${path} without ?${p.name}`).toEqual([400, expect.arrayContaining([400])]);
        }
      }
      const body = op.requestBody?.content['application/json']?.schema;
      if (!body) continue;
      const full = example(body) as Record<string, unknown>;
      for (const field of body.required ?? []) {
        const { [field]: _dropped, ...rest } = full;
        const res = await send(method, path, op, { body: rest });
        expect([res.status, declared(op)], `${method} ${path} without ${field}`).toEqual([400, expect.arrayContaining([400])]);
      }
      const extra = await send(method, path, op, { body: { ...full, unknownField: 1 } });
      expect(extra.status, `${method} ${path} with an unknown field`).toBe(400);
      for (const optional of Object.keys(body.properties ?? {}).filter((k) => !(body.required ?? []).includes(k))) {
        expect(full, `${method} ${path}: optional ${optional}`).not.toHaveProperty(optional);
      }
    }
  });

  it('declares 401 where a token is needed, and answers it without one', async () => {
    for (const { path, method, op } of operations().filter((o) => o.op.security)) {
      const res = await send(method, path, op, { auth: false });
      expect([res.status, declared(op)], `${method} ${path}`).toEqual([401, expect.arrayContaining([401, 429])]);
    }
  });

  it('answers a known path with an undeclared method 405 with Allow listing the declared ones', async () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      const methods = METHODS.filter((m) => item[m]);
      const wrong = METHODS.find((m) => !methods.includes(m))!;
      const url = path.replace(/\{\w+\}/g, '1');
      const res = await fetch(`${baseUrl}${url}`, { method: wrong.toUpperCase() });
      expect(res.status, `${wrong} ${path}`).toBe(405);
      expect(((await res.json()) as { code: string }).code).toBe('METHOD_NOT_ALLOWED');
      const allow = res.headers.get('allow')!.split(', ').filter((m) => m !== 'HEAD' && m !== 'OPTIONS');
      expect(allow, path).toEqual(methods.map((m) => m.toUpperCase()).sort());
    }
  });

  it('declares 503 on every API route, the answer to overload and to an unreachable database', () => {
    for (const { path, method, op } of operations().filter((o) => o.path.startsWith(api('')))) {
      expect(declared(op), `${method} ${path}`).toContain(503);
    }
  });
});
