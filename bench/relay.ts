/**
 * `npm run bench:relay`: how fast the outbox reaches JetStream. Writes EVENTS (default 20,000)
 * paid-order events into the outbox of a fresh server database, then drains them with 1 relay and
 * again with 2 relays side by side (as two instances would: FOR UPDATE SKIP LOCKED), each into a
 * stream of its own that is deleted afterwards. Prints events per second.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test NATS_URL=nats://127.0.0.1:4222 npm run bench:relay
 */
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/platform/db/db.js';
import { runMigrations } from '../src/platform/db/migrate.js';
import { JetStreamSink } from '../src/platform/events/jetstream-sink.js';
import { connectNats, jetstreamManager } from '../src/platform/events/nats.js';
import { OutboxRelay } from '../src/platform/events/relay.js';
import { createServerDb } from './server-db.js';

const EVENTS = Number(process.env['EVENTS'] ?? 20_000);
const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

async function main(): Promise<void> {
  const server = await createServerDb(process.env['DATABASE_URL']!, 'relay');
  const database = await openDatabase({ url: server.url, poolSize: 10 });
  const nc = await connectNats(natsUrl, 'bench-relay');
  const jsm = await jetstreamManager(nc);
  try {
    await runMigrations(database, server.url);
    for (const relays of [1, 2]) {
      const tag = `BENCH_RELAY_${Date.now()}_${relays}`;
      await database.db.execute(sql`
        INSERT INTO outbox (event_id, topic, aggregate_id, payload)
        SELECT gen_random_uuid(), 'order.paid', g + ${relays * 10_000_000}, jsonb_build_object('orderId', g, 'paymentAmount', 10000,
               'items', jsonb_build_array(jsonb_build_object('productId', g % 1000, 'quantity', 1, 'unitPrice', 10000)))
        FROM generate_series(1, ${EVENTS}) g`);
      const sinks = Array.from({ length: relays }, () => new JetStreamSink({ url: natsUrl, stream: tag, subject: `bench.relay.${tag}` }));
      const started = performance.now();
      const sent = await Promise.all(sinks.map((s) => new OutboxRelay(database.db, s, { batch: Number(process.env["RELAY_BATCH"] ?? 100) }).drain()));
      const seconds = (performance.now() - started) / 1000;
      const stored = (await jsm.streams.info(tag)).state.messages;
      console.log(
        `${relays} relay(s): ${sent.reduce((a, b) => a + b, 0)} events in ${seconds.toFixed(2)} s = ${Math.round(EVENTS / seconds)} events/s; stream holds ${stored}`,
      );
      await Promise.all(sinks.map((s) => s.close()));
      await jsm.streams.delete(tag);
    }
  } finally {
    await nc.close();
    await database.close();
    await server.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
