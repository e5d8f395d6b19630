/**
 * The fake data platform (`npm run data-platform`): a separate process that consumes the ORDERS
 * stream with a durable JetStream consumer, keeps each event once by eventId, acknowledges it, and
 * reports what it holds: a log line every few seconds, and `GET /stats` / `GET /events` over HTTP.
 *
 *   NATS_URL (nats://127.0.0.1:4222; a cluster as a comma-separated list), NATS_STREAM (ORDERS), NATS_SUBJECT (orders.paid), NATS_STREAM_REPLICAS (1),
 *   DATA_PLATFORM_CONSUMER (data-platform), DATA_PLATFORM_HOST (127.0.0.1), DATA_PLATFORM_PORT (else PORT, else 4100), DATA_DIR (./data)
 */
import http from 'node:http';
import path from 'node:path';
import { AckPolicy, DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connectNats, ensureStream, jetstreamManager } from '../platform/events/nats.js';
import { EventStore, type StoredEvent } from './event-store.js';

const env = (name: string, fallback: string) => process.env[name]?.trim() || fallback;
const natsUrl = env('NATS_URL', 'nats://127.0.0.1:4222');
const stream = env('NATS_STREAM', 'ORDERS');
const subject = env('NATS_SUBJECT', 'orders.paid');
const replicas = Number(env('NATS_STREAM_REPLICAS', '1'));
const durable = env('DATA_PLATFORM_CONSUMER', 'data-platform');
const port = Number(env('DATA_PLATFORM_PORT', process.env['PORT'] ?? '4100'));
const store = new EventStore(path.resolve(env('DATA_DIR', './data'), 'data-platform', `${durable}.received.jsonl`));
const log = (msg: string, fields: Record<string, unknown> = {}) => console.log(JSON.stringify({ time: new Date().toISOString(), msg, ...fields }));

async function consume(): Promise<void> {
  const nc = await connectNats(natsUrl, 'data-platform');
  log('connected', { natsUrl, stream, subject, durable });
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, { stream, subject, replicas });
  await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
  const consumer = await jetstream(nc).consumers.get(stream, durable);
  for (;;) {
    const messages = await consumer.consume({ max_messages: 256 });
    for await (const m of messages) {
      let event: StoredEvent;
      try {
        event = m.json<StoredEvent>();
      } catch {
        log('dropped a message that is not JSON', { seq: m.seq });
        m.term();
        continue;
      }
      store.add(event);
      m.ack();
    }
  }
}

const server = http.createServer((req, res) => {
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.url === '/stats') return send(200, store.stats());
  if (req.url === '/events') return send(200, store.all());
  if (req.url === '/health') return send(200, { status: 'ok' });
  return send(404, { code: 'NOT_FOUND', message: 'GET /stats, /events or /health' });
});

server.listen(port, env('DATA_PLATFORM_HOST', '127.0.0.1'), () => log('listening', { port }));
setInterval(() => {
  const { events, duplicates, last } = store.stats();
  log('holding events', { events, duplicates, lastEventId: last?.eventId ?? null, lastOrderId: last?.['orderId'] ?? null });
}, 5_000).unref();
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));

consume().catch((err: unknown) => {
  console.error('data platform failed:', err);
  process.exit(1);
});
