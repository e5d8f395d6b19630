import { EventEmitter } from 'node:events';
import net from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listen } from '../../../test/helpers/raw-http.js';
import { installErrorHandling } from './error-handler.js';
import { InFlight, installLoadShedding } from './load-shedding.js';

const MAX = 2;

/** A route held open until the test lets it go, a quick one, and the cap of 2 in front of both. */
async function cappedApp(): Promise<{ app: FastifyInstance; port: number; release: () => void; held: () => number }> {
  const app = Fastify({ logger: false });
  installErrorHandling(app, { onResponse: (_req, _reply, done) => done() });
  let waiting: Array<() => void> = [];
  await app.register(async (api) => {
    installLoadShedding(api, MAX);
    api.get('/held', (_request, reply) => {
      waiting.push(() => reply.send({ held: true }));
    });
    api.get('/quick', (_request, reply) => {
      reply.send({ quick: true });
    });
  });
  const { port } = await listen(app);
  const release = () => {
    const now = waiting;
    waiting = [];
    now.forEach((answer) => answer());
  };
  return { app, port, release, held: () => waiting.length };
}

/** Sends one GET on a new connection; resolves with the socket and, once it comes, the status. */
function open(port: number, path: string): { socket: net.Socket; status: Promise<number> } {
  const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`));
  socket.on('error', () => {});
  const status = new Promise<number>((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /^HTTP\/1\.1 (\d+)/.exec(text);
      if (m && text.includes('\r\n\r\n')) resolve(Number(m[1]));
    });
    socket.on('close', () => resolve(0));
  });
  return { socket, status };
}

const quick = async (port: number) => {
  const res = await fetch(`http://127.0.0.1:${port}/quick`);
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as unknown };
};

/** A connection as InFlight sees it: it can close, and may already be gone. */
const connection = (destroyed = false) => Object.assign(new EventEmitter(), { destroyed });

describe('InFlight', () => {
  it('admits up to its bound and frees a slot per answer', () => {
    const slots = new InFlight(2);
    const [a, b] = [connection(), connection()];
    expect([slots.admit(a), slots.admit(b), slots.admit(a)]).toEqual([true, true, false]);
    slots.answered(a);
    expect(slots.size).toBe(1);
    expect(slots.admit(connection())).toBe(true);
  });

  it('frees every slot of a connection that closes, and nothing more when their answers finish later', () => {
    const slots = new InFlight(3);
    const [a, b] = [connection(), connection()];
    slots.admit(a);
    slots.admit(a);
    slots.admit(b);
    a.emit('close');
    expect(slots.size).toBe(1);
    slots.answered(a);
    slots.answered(a);
    expect(slots.size).toBe(1);
    slots.answered(b);
    b.emit('close');
    expect(slots.size).toBe(0);
  });

  it('listens once per connection, however many requests it carries', () => {
    const slots = new InFlight(10);
    const a = connection();
    for (let i = 0; i < 5; i++) {
      slots.admit(a);
      slots.answered(a);
    }
    expect(a.listenerCount('close')).toBe(1);
    expect(slots.size).toBe(0);
  });

  it('serves the request of a connection already gone without a slot', () => {
    const slots = new InFlight(1);
    expect(slots.admit(connection(true))).toBe(true);
    expect(slots.size).toBe(0);
  });
});

type Capped = Awaited<ReturnType<typeof cappedApp>>;
type Held = ReturnType<typeof open>;

/** Fills the cap: two requests held open, each on a connection of its own, both in the handler. */
async function fill(t: Capped): Promise<Held[]> {
  const held = [open(t.port, '/held'), open(t.port, '/held')];
  await vi.waitFor(() => expect(t.held()).toBe(MAX), { timeout: 5_000, interval: 5 });
  return held;
}

/** Answers what is held, waits for the answers, and closes those connections. */
async function drain(t: Capped, held: Held[]): Promise<number[]> {
  t.release();
  const statuses = await Promise.all(held.map((h) => h.status));
  held.forEach((h) => h.socket.destroy());
  return statuses;
}

/** The cap is back at exactly two: two held requests fill it and a third is refused. */
async function expectCapOfTwo(t: Capped): Promise<void> {
  const held = await fill(t);
  expect((await quick(t.port)).status).toBe(503);
  await drain(t, held);
}

describe('load shedding', () => {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });
  const capped = async () => {
    const t = await cappedApp();
    apps.push(t.app);
    return t;
  };

  it('answers 503 with Retry-After beyond the cap, and serves again once the answers have gone', async () => {
    const t = await capped();
    const held = await fill(t);
    expect(await quick(t.port)).toEqual({ status: 503, retryAfter: '1', body: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) } });
    expect(await drain(t, held)).toEqual([200, 200]);
    expect((await quick(t.port)).status).toBe(200);
  });

  it('does not count refused requests: a flood of 503s leaves the cap where it was', async () => {
    const t = await capped();
    const first = await fill(t);
    for (let i = 0; i < 5; i++) expect((await quick(t.port)).status).toBe(503);
    await drain(t, first);
    // Two slots again, not two plus the five refusals.
    await expectCapOfTwo(t);
  });

  it('frees the slot of a client that went away before its answer', async () => {
    const t = await capped();
    const gone = await fill(t);
    gone.forEach((h) => h.socket.destroy());
    // Nothing has been answered, yet both slots are free once the connections have closed.
    await vi.waitFor(async () => expect((await quick(t.port)).status).toBe(200), { timeout: 5_000, interval: 10 });
    expect(t.held()).toBe(MAX);
    // Their answers, made after the clients left, free nothing a second time.
    await drain(t, gone);
    await expectCapOfTwo(t);
  });

  it('counts the requests of one kept-alive connection one at a time', async () => {
    const t = await capped();
    // Ten answered requests on one connection, then two held on others: the cap still holds at 2.
    const socket = net.connect(t.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    for (let i = 0; i < 10; i++) {
      const answered = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
      socket.write('GET /quick HTTP/1.1\r\nhost: x\r\n\r\n');
      expect(await answered).toMatch(/^HTTP\/1\.1 200/);
    }
    const held = await fill(t);
    expect((await quick(t.port)).status).toBe(503);
    // Closing the kept-alive connection, whose requests were all answered, frees nothing more.
    socket.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect((await quick(t.port)).status).toBe(503);
    await drain(t, held);
  });
});
