import type { Config } from '../config.js';
import type { Database, Db } from './db/db.js';
import type { EventsHandle } from './events/relay.js';
import type { EventSink } from './events/sink.js';
import type { Metrics } from './http/metrics.js';
import type { RedisHandle } from './redis/redis.js';

/** What every module is built from: configuration and the platform's handles. */
export interface AppContext {
  readonly config: Config;
  readonly database: Database;
  readonly db: Db;
  readonly metrics: Metrics;
  /** Undefined when neither REDIS_URL nor REDIS_CLUSTER_NODES is set: modules fall back to in-process equivalents. */
  readonly redis: RedisHandle | undefined;
  /** Told after a commit that wrote an outbox event, so the relay delivers it at once. */
  readonly events: EventsHandle;
  /** Where events go (checked by /ready); undefined in apps that run no relay. */
  readonly eventSink: EventSink | undefined;
}
