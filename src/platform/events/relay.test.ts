import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, call, createTestApp, newProduct, newUser, type TestApp } from '../../../test/helpers/app.js';
import { scalar } from '../../../test/helpers/sql.js';
import { until } from '../../../test/helpers/until.js';
import { FileSink } from './file-sink.js';
import { purgeSent } from './outbox.repo.js';
import { OutboxRelay } from './relay.js';
import type { EventSink, OutboxEvent } from './sink.js';

/** A sink that refuses while `down` is set, and remembers what it accepted. */
class SwitchableSink implements EventSink {
  readonly name = 'switchable';
  down = false;
  accepted: OutboxEvent[] = [];
  async publish(events: OutboxEvent[]) {
    if (this.down) throw new Error('sink is down');
    this.accepted.push(...events);
  }
  async ping() {}
  async close() {}
}

/** The order an `order.paid` event is about, read from the JSON text the relay passed on. */
const orderIdOf = (e: OutboxEvent) => (JSON.parse(e.payload) as { orderId: number }).orderId;

describe('outbox relay', () => {
  let t: TestApp;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-'));
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const paidOrder = async () => {
    const userId = await newUser(t.app);
    await call(t.app, 'PUT', api(`/users/${userId}/balance`), { amount: 100_000 });
    const p = await newProduct(t.app, { price: 1_000 });
    const r = await call(t.app, 'POST', api('/orders'), { userId, products: [{ productId: p.id, quantity: 1 }] });
    expect(r.status).toBe(201);
    return r.body as { orderId: number };
  };
  const unsent = () => scalar(t.database.db, 'SELECT count(*) AS v FROM outbox WHERE sent_at IS NULL');

  it('appends each event to DATA_DIR/data-platform/orders.paid.jsonl (the embedded default) and marks it sent', async () => {
    const a = await paidOrder();
    const b = await paidOrder();
    const relay = new OutboxRelay(t.database.db, new FileSink(dir));
    expect(await relay.drain()).toBe(2);
    const lines = fs.readFileSync(path.join(dir, 'orders.paid.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.orderId)).toEqual([a.orderId, b.orderId]);
    expect(lines[0]).toMatchObject({ eventId: expect.any(String), orderNumber: expect.any(String), paymentAmount: 4_000 });
    expect(await unsent()).toBe(0);
    expect(await relay.drain()).toBe(0);
  });

  it('keeps events while the sink is down, backs off, and delivers them once it is back', async () => {
    const sink = new SwitchableSink();
    const relay = new OutboxRelay(t.database.db, sink);
    const { orderId } = await paidOrder();
    sink.down = true;
    await expect(relay.drain()).rejects.toThrow('sink is down');
    expect(await unsent()).toBe(1);
    expect(
      await scalar(t.database.db, `SELECT count(*) AS v FROM outbox WHERE aggregate_id = ${orderId} AND attempts = 1 AND next_attempt_at > now() AND last_error = 'sink is down'`),
    ).toBe(1);
    sink.down = false;
    // Not due yet: the back-off holds it.
    expect(await relay.drain()).toBe(0);
    await t.database.db.execute(`UPDATE outbox SET next_attempt_at = now() WHERE aggregate_id = ${orderId}` as never);
    expect(await relay.drain()).toBe(1);
    expect(sink.accepted.map(orderIdOf)).toEqual([orderId]);
    expect(await unsent()).toBe(0);
  });

  it('wakes on a commit: a running relay delivers without waiting for its poll', async () => {
    const sink = new SwitchableSink();
    const relay = new OutboxRelay(t.database.db, sink, { pollMs: 60_000 });
    relay.start(t.app.log);
    try {
      await new Promise((r) => setTimeout(r, 100));
      const { orderId } = await paidOrder();
      relay.committed();
      await until('the event delivered', () => sink.accepted.length > 0, undefined, { timeoutMs: 5_000, intervalMs: 20 });
      expect(sink.accepted.map(orderIdOf)).toEqual([orderId]);
    } finally {
      await relay.stop();
    }
  });

  it('while events keep coming, waits lingerMs after a delivery so that the next ones leave together', async () => {
    // The first publish is held until the test lets it go, so that a nudge lands during it.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let calls = 0;
    const batches: number[][] = [];
    const sink = new SwitchableSink();
    sink.publish = async (events: OutboxEvent[]) => {
      if (++calls === 1) await held;
      batches.push(events.map(orderIdOf));
    };
    const relay = new OutboxRelay(t.database.db, sink, { pollMs: 60_000, lingerMs: 3_000 });
    relay.start(t.app.log);
    try {
      await until('the relay idle', async () => (await unsent()) === 0);
      const a = await paidOrder();
      relay.committed(); // an idle relay goes at once
      await until("A's delivery under way", () => calls === 1);
      relay.committed(); // more is coming while A is delivered
      release();
      await until('A delivered', () => batches.length === 1);
      // The relay now lingers: B, C and D, committed within the next 3 s, leave together.
      const later: number[] = [];
      for (let i = 0; i < 3; i++) {
        later.push((await paidOrder()).orderId);
        relay.committed();
      }
      await until('B, C and D delivered', async () => (await unsent()) === 0);
      expect(batches).toEqual([[a.orderId], later]);
    } finally {
      release();
      await relay.stop();
    }
  });

  it('purges sent rows past their retention, oldest first in batches, and never an unsent one', async () => {
    const q = (text: string) => scalar(t.database.db, text);
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await paidOrder()).orderId);
    const ages = ['NULL', "now() - interval '1 hour'", "now() - interval '23 hours'", "now() - interval '25 hours'", "now() - interval '30 days'"];
    for (const [i, age] of ages.entries()) {
      await q(`WITH u AS (UPDATE outbox SET sent_at = ${age} WHERE aggregate_id = ${ids[i]} RETURNING 1) SELECT count(*) AS v FROM u`);
    }
    // An unsent row that is old is still waiting for its delivery: it stays.
    await q(`WITH u AS (UPDATE outbox SET created_at = now() - interval '30 days' WHERE aggregate_id = ${ids[0]} RETURNING 1) SELECT count(*) AS v FROM u`);
    expect(await purgeSent(t.database.db, 24, 1)).toBe(2);
    const left = await q(`SELECT count(*) AS v FROM outbox WHERE aggregate_id IN (${ids.join(',')})`);
    expect(left).toBe(3);
    expect(await q(`SELECT count(*) AS v FROM outbox WHERE aggregate_id IN (${ids[3]}, ${ids[4]})`)).toBe(0);
    expect(await q(`SELECT count(*) AS v FROM outbox WHERE aggregate_id = ${ids[0]} AND sent_at IS NULL`)).toBe(1);
    expect(await purgeSent(t.database.db, 24)).toBe(0);
  });
});
