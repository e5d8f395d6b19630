import { Cluster, Redis } from 'ioredis';

/** One Redis server, or a Redis Cluster (every key a module uses with another in one command shares a hash tag). */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one server's URL, or the seed nodes of a Redis Cluster. */
export type RedisTarget = { url: string } | { clusterNodes: ReadonlyArray<{ host: string; port: number }> };

/** A Redis connection that never takes the process down: commands fail fast while it is away. */
export interface RedisHandle {
  readonly client: RedisClient;
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

/** The configured Redis target, if any (REDIS_URL or REDIS_CLUSTER_NODES; the config allows one of them). */
export function redisTarget(config: {
  redisUrl: string | undefined;
  redisClusterNodes: ReadonlyArray<{ host: string; port: number }> | undefined;
}): RedisTarget | undefined {
  if (config.redisClusterNodes) return { clusterNodes: config.redisClusterNodes };
  return config.redisUrl ? { url: config.redisUrl } : undefined;
}

// Fail commands at once when disconnected instead of queueing them: callers fall back to the database.
const connection = { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 1_000 };

export function openRedis(target: string | RedisTarget, opts: { keyPrefix?: string } = {}): RedisHandle {
  const t = typeof target === 'string' ? { url: target } : target;
  const keyPrefix = opts.keyPrefix ?? '';
  const client: RedisClient =
    'url' in t
      ? new Redis(t.url, {
          ...connection,
          keyPrefix,
          enableOfflineQueue: false,
          retryStrategy: (times) => Math.min(times * 200, 2_000),
          lazyConnect: false,
        })
      : new Cluster([...t.clusterNodes], {
          keyPrefix,
          enableOfflineQueue: false,
          clusterRetryStrategy: (times) => Math.min(times * 200, 2_000),
          redisOptions: connection,
        } as ConstructorParameters<typeof Cluster>[1]);
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

/** The key prefix a client adds to every key (Redis does not prefix channels, so callers add it there). */
export function keyPrefixOf(client: RedisClient): string {
  return String((client.options as { keyPrefix?: string }).keyPrefix ?? '');
}

/**
 * A second connection with the same target and prefix that queues commands while (re)connecting
 * and never times them out: what a pub/sub subscriber needs.
 */
export function duplicateForSubscribe(client: RedisClient): RedisClient {
  if (client instanceof Cluster) {
    return client.duplicate([], { enableOfflineQueue: true, redisOptions: { ...client.options.redisOptions, commandTimeout: undefined } });
  }
  return client.duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
}
