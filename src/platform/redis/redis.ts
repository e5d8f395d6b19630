import { Redis } from 'ioredis';

/** A Redis connection that never takes the process down: commands fail fast while it is away. */
export interface RedisHandle {
  readonly client: Redis;
  /** True while the connection is up and ready for commands. */
  isUp(): boolean;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The key prefix of one deployment: the configured prefix plus the database's identity, so Redis
 * state left by another database never applies. Every process of the deployment must use it.
 */
export function deploymentKeyPrefix(prefix: string, databaseId: string): string {
  return `${prefix}${databaseId.slice(0, 8)}:`;
}

export function openRedis(url: string, opts: { keyPrefix?: string } = {}): RedisHandle {
  const client = new Redis(url, {
    keyPrefix: opts.keyPrefix ?? '',
    // Fail commands at once when disconnected instead of queueing them: callers fall back to the database.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    lazyConnect: false,
  });
  // Errors surface through failed commands and isUp(); an unhandled 'error' event would crash.
  client.on('error', () => {});
  return {
    client,
    isUp: () => client.status === 'ready',
    ping: async () => {
      await client.ping();
    },
    close: async () => {
      client.disconnect();
    },
  };
}
