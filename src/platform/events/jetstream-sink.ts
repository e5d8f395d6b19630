import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connectNats, ensureStream, jetstreamManager, type StreamSettings } from './nats.js';
import type { EventSink, OutboxEvent } from './sink.js';

const PUBLISH_TIMEOUT_MS = 2_000;

/** Publishes to a JetStream stream with the event id as the message id, so JetStream drops repeats. */
export class JetStreamSink implements EventSink {
  readonly name = 'nats';
  private connection: Promise<NatsConnection>;
  private js: JetStreamClient | undefined;
  private streamChecked = false;

  constructor(private readonly settings: StreamSettings) {
    this.connection = connectNats(settings.url, 'ecommerce-relay');
    // An unhandled rejection would end the process; publish() reports the failure instead.
    this.connection.catch(() => {});
  }

  async publish(events: OutboxEvent[]): Promise<void> {
    // Never wait for a connection inside the relay's claim transaction: fail fast, retry later.
    const nc = await this.connected(PUBLISH_TIMEOUT_MS);
    if (!this.streamChecked) {
      await ensureStream(await jetstreamManager(nc), this.settings);
      this.streamChecked = true;
    }
    this.js ??= jetstream(nc);
    const js = this.js;
    try {
      await Promise.all(
        events.map((e) => js.publish(this.settings.subject, e.payload, { msgID: e.eventId, timeout: PUBLISH_TIMEOUT_MS })),
      );
    } catch (err) {
      // The server may have come back without the stream (a store wiped): check it again next time.
      this.streamChecked = false;
      throw err;
    }
  }

  async ping(): Promise<void> {
    const nc = await this.connected(500);
    await nc.flush();
  }

  private async connected(timeoutMs: number): Promise<NatsConnection> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const nc = await Promise.race([
        this.connection,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('NATS is not connected')), timeoutMs);
        }),
      ]);
      if (nc.isClosed()) throw new Error('NATS connection is closed');
      return nc;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const nc = await this.connection.catch(() => undefined);
    await nc?.drain().catch(() => nc.close());
  }
}
