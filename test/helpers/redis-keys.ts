import type { Redis } from 'ioredis';

/**
 * Deletes every key starting with `prefix` (the full key, as stored). KEYS takes and returns full
 * keys even on a client with a keyPrefix, while DEL adds that keyPrefix again, so it is stripped.
 */
export async function deleteKeysUnder(client: Redis, prefix: string): Promise<void> {
  const keys = await client.keys(`${prefix}*`);
  const own = client.options.keyPrefix ?? '';
  if (keys.length > 0) await client.del(...keys.map((k) => (k.startsWith(own) ? k.slice(own.length) : k)));
}
