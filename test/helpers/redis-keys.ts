import type { RedisClient } from '../../src/platform/redis/redis.js';

/**
 * Deletes every key starting with `prefix` (the full key, as stored). KEYS takes and returns full
 * keys even on a client with a keyPrefix, while DEL adds that keyPrefix again, so it is stripped.
 * On a Redis Cluster, each master is asked for its keys and each key deleted on its own (slots differ).
 */
export async function deleteKeysUnder(client: RedisClient, prefix: string): Promise<void> {
  const own = String((client.options as { keyPrefix?: string }).keyPrefix ?? '');
  const strip = (k: string) => (k.startsWith(own) ? k.slice(own.length) : k);
  if ('nodes' in client) {
    for (const node of client.nodes('master')) for (const k of await node.keys(`${prefix}*`)) await client.del(strip(k));
    return;
  }
  const keys = await client.keys(`${prefix}*`);
  if (keys.length > 0) await client.del(...keys.map(strip));
}
