import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';

export interface StreamSettings {
  url: string;
  stream: string;
  subject: string;
  /** Replicas of the stream when it is created here (default 1). */
  replicas?: number;
}

/** How long JetStream remembers a message id: a relay that publishes again within it stores nothing new. */
export const DEDUPE_WINDOW_MS = 10 * 60_000;

/**
 * Connects and keeps reconnecting forever: the service starts, and takes payments, while NATS is
 * away; the outbox keeps the events until it is back.
 */
export function connectNats(url: string, name: string): Promise<NatsConnection> {
  return connect({
    // A cluster is given as a comma-separated list; the client also learns the other nodes from it.
    servers: url.split(',').map((s) => s.trim()),
    name,
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    timeout: 2_000,
    // No stack trace captured up front for every request (two Error objects a publish): a failed
    // publish is reported by its message, and the relay retries it.
    noAsyncTraces: true,
  });
}

/** Creates the stream if it is missing (limits retention, file storage, a dedupe window). */
export async function ensureStream(jsm: JetStreamManager, s: Omit<StreamSettings, 'url'>): Promise<void> {
  try {
    await jsm.streams.info(s.stream);
  } catch {
    try {
      await jsm.streams.add({
        name: s.stream,
        subjects: [s.subject],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        duplicate_window: nanos(DEDUPE_WINDOW_MS),
        num_replicas: s.replicas ?? 1,
      });
    } catch (err) {
      // Another instance created it first.
      await jsm.streams.info(s.stream).catch(() => {
        throw err;
      });
    }
  }
}

export { jetstreamManager };
