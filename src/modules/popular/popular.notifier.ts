import { duplicateForSubscribe, keyPrefixOf, type RedisClient } from '../../platform/redis/redis.js';

/**
 * Tells the other instances that a run committed. Messages are only hints to re-read the database,
 * which holds the truth, so a lost or repeated message costs at most a delay until the periodic check.
 */
export interface RunNotifier {
  publish(runId: number): Promise<void>;
  /** Calls `onHint` on every message, and whenever the subscription (re)connects, when one may have been missed. */
  listen(onHint: () => void): void;
  close(): Promise<void>;
}

/** Without Redis there is no one to tell; other instances (if any) find the run by the periodic check. */
export const noNotifier: RunNotifier = {
  publish: async () => {},
  listen: () => {},
  close: async () => {},
};

/** The channel of a deployment: Redis does not prefix channels, so the key prefix is added here. */
export function runsChannel(client: RedisClient): string {
  return `${keyPrefixOf(client)}popular:runs`;
}

/** Redis pub/sub; subscribing needs a connection of its own, made from the shared client's settings. */
export class RedisRunNotifier implements RunNotifier {
  private readonly channel: string;
  private subscriber: RedisClient | undefined;

  constructor(
    private readonly client: RedisClient,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.channel = runsChannel(client);
  }

  async publish(runId: number): Promise<void> {
    await this.client.publish(this.channel, String(runId));
  }

  listen(onHint: () => void): void {
    // Queue the SUBSCRIBE until connected (the shared client fails fast instead); ioredis
    // subscribes again by itself after a reconnect (on a Cluster, on another node if need be).
    const sub = duplicateForSubscribe(this.client);
    sub.on('error', () => {});
    sub.on('ready', onHint);
    sub.on('message', (channel: string) => {
      if (channel === this.channel) onHint();
    });
    sub.subscribe(this.channel).catch(this.onError);
    this.subscriber = sub;
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }
}
