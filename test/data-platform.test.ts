import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerDatabase, type ServerDatabase } from './helpers/databases.js';
import { http, startInstance, startProcess, type Instance } from './helpers/instances.js';
import { PrivateNats } from './helpers/nats-server.js';
import { parallel } from './helpers/parallel.js';
import { createProduct, NO_VIOLATIONS, ShopSql } from './helpers/shop.js';
import { until } from './helpers/until.js';

const TOKEN = 'data-platform-admin-token';

// Two app instances and the fake data platform on a NATS server of this test's own, which it
// stops and restarts mid-run; every PAID order must reach the data platform exactly once.
describe('paid orders streamed to the data platform over JetStream', () => {
  let server: ServerDatabase;
  let nats: PrivateNats;
  let instances: Instance[] = [];
  let platform: Instance;
  let db: ShopSql;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'data-platform-'));
  const at = (i: number) => instances[i % instances.length]!.baseUrl;

  beforeAll(async () => {
    server = await createServerDatabase();
    nats = await PrivateNats.start();
    const env = { DATABASE_URL: server.url, NATS_URL: nats.url, ADMIN_TOKEN: TOKEN, SEED_DEMO: 'false' };
    instances = await Promise.all([1, 2].map(() => startInstance(env)));
    platform = await startProcess(['--import', 'tsx', 'src/data-platform/main.ts'], { NATS_URL: nats.url, DATA_DIR: dataDir });
    db = new ShopSql(server.url);
  });
  afterAll(async () => {
    await Promise.all([...instances, platform].filter(Boolean).map((i) => i.stop()));
    await db?.end();
    await nats?.stop();
    await server?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const stats = async () => (await http(platform.baseUrl, 'GET', '/stats')).body as { events: number; duplicates: number };
  const orderBurst = async (buyers: number[], productId: number) =>
    parallel(buyers.length, 20, (i) => http(at(i), 'POST', '/api/v1/orders', { userId: buyers[i], products: [{ productId, quantity: 1 }] }));

  it('reports ready with NATS, and delivers PAID orders (never unpaid ones), each exactly once, across a NATS outage', async () => {
    expect((await http(at(0), 'GET', '/ready')).body.checks).toMatchObject({ database: 'up', nats: 'up' });
    const product = await createProduct(at(0), TOKEN, { price: 10_000, stock: 10_000 });
    // Half the buyers can pay (PAID), half cannot (402, PAYMENT_FAILED: no event).
    const rich = await db.users(60, 50_000);
    const poor = await db.users(20, 1_000);
    const first = await orderBurst([...rich.slice(0, 30), ...poor.slice(0, 10)], product.id);
    expect(first.filter((a) => a.status === 201)).toHaveLength(30);

    await nats.down();
    await until('ready while NATS is down', async () => (await http(at(1), 'GET', '/ready')).status, (s) => s === 503);
    // Payments never wait for, or fail because of, the data platform.
    const during = await orderBurst([...rich.slice(30), ...poor.slice(10)], product.id);
    expect(during.filter((a) => a.status === 201)).toHaveLength(30);
    expect(during.every((a) => a.status === 201 || a.status === 402)).toBe(true);
    expect(await db.value('SELECT count(*) AS v FROM outbox WHERE sent_at IS NULL')).toBeGreaterThan(0);
    await nats.up();

    const paid = await db.value(`SELECT count(*) AS v FROM orders WHERE status = 'PAID'`);
    expect(paid).toBe(60);
    await until('events at the data platform', stats, (s) => s.events >= paid);
    const events = (await http(platform.baseUrl, 'GET', '/events')).body as Array<{ orderId: number; eventId: string; paymentAmount: number }>;
    const paidIds = (await db.rows<{ id: string }>(`SELECT id FROM orders WHERE status = 'PAID' ORDER BY id`)).map((r) => Number(r.id));
    expect(events.map((e) => e.orderId).sort((a, b) => a - b)).toEqual(paidIds);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(events.every((e) => e.paymentAmount === 13_000)).toBe(true);
    expect(await db.value('SELECT count(*) AS v FROM outbox WHERE sent_at IS NULL')).toBe(0);
    expect(await db.invariantViolations()).toEqual(NO_VIOLATIONS);
  });

  it('delivers events committed by an instance that crashed before publishing them', async () => {
    const product = await createProduct(at(0), TOKEN, { price: 10_000, stock: 100 });
    const buyers = await db.users(10, 50_000);
    await nats.down();
    const victim = instances[0]!;
    const answers = await parallel(10, 10, (i) =>
      http(victim.baseUrl, 'POST', '/api/v1/orders', { userId: buyers[i], products: [{ productId: product.id, quantity: 1 }] }),
    );
    expect(answers.every((a) => a.status === 201)).toBe(true);
    victim.process.kill('SIGKILL');
    await new Promise((r) => victim.process.once('exit', r));
    const unsent = await db.value('SELECT count(*) AS v FROM outbox WHERE sent_at IS NULL');
    expect(unsent).toBeGreaterThanOrEqual(10);
    await nats.up();
    const paid = await db.value(`SELECT count(*) AS v FROM orders WHERE status = 'PAID'`);
    // The surviving instance's relay finds the crashed one's events in the outbox.
    await until('events after the crash', stats, (s) => s.events >= paid);
    expect((await stats()).events).toBe(paid);
  });
});
