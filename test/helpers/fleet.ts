import { Redis } from 'ioredis';
import pg from 'pg';
import { createServerDatabase, REDIS_URL, type ServerDatabase } from './databases.js';
import { startInstance, type Instance } from './instances.js';
import { deleteKeysUnder } from './redis-keys.js';

/** Several real server processes on one fresh database and one Redis prefix of their own. */
export interface Fleet {
  instances: Instance[];
  /** Direct SQL on the fleet's database. */
  sql: pg.Pool;
  /** The environment the instances were started with (to start more, or a command line, alike). */
  env: Record<string, string>;
  /** The i-th instance's base URL, round-robin. */
  at(i: number): string;
}

/**
 * The multi-instance bookkeeping of a test file: each `start` makes a database, a Redis prefix, a
 * pool and `count` instances; `stopInstances` (afterEach) stops the instances, `cleanUp` (afterAll)
 * ends the pools, drops the databases and deletes the keys under the prefixes on the shared Redis.
 */
export class Fleets {
  private readonly instances: Instance[] = [];
  private readonly databases: ServerDatabase[] = [];
  private readonly pools: pg.Pool[] = [];
  private readonly prefixes: string[] = [];

  constructor(private readonly name: string) {}

  async start(opts: { count?: number; env?: Record<string, string> } = {}): Promise<Fleet> {
    const db = await createServerDatabase();
    this.databases.push(db);
    const prefix = `${this.name}:${Date.now()}:${Math.random().toString(36).slice(2)}:`;
    this.prefixes.push(prefix);
    const env: Record<string, string> = { DATABASE_URL: db.url, SEED_DEMO: 'false', REDIS_PREFIX: prefix, ...opts.env };
    const instances = await Promise.all(Array.from({ length: opts.count ?? 2 }, () => startInstance(env)));
    this.instances.push(...instances);
    const sql = new pg.Pool({ connectionString: db.url, max: 2 });
    this.pools.push(sql);
    return { instances, sql, env, at: (i) => instances[i % instances.length]!.baseUrl };
  }

  async stopInstances(): Promise<void> {
    await Promise.all(this.instances.splice(0).map((i) => i.stop()));
  }

  async cleanUp(): Promise<void> {
    await this.stopInstances();
    await Promise.all(this.pools.splice(0).map((p) => p.end()));
    await Promise.all(this.databases.splice(0).map((d) => d.drop()));
    const redis = new Redis(REDIS_URL);
    try {
      for (const prefix of this.prefixes.splice(0)) await deleteKeysUnder(redis, prefix);
    } finally {
      redis.disconnect();
    }
  }
}
