import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: undefined,
      redisUrl: undefined,
      adminToken: undefined,
      maxBalance: 10_000_000,
      shippingFee: 3_000,
      freeShippingThreshold: 30_000,
      orderHoldMinutes: 10,
      orderBatchesInFlight: 4,
      orderBatchMax: 32,
      outboxRetentionHours: 168,
      answerCoalescing: true,
      popularCron: '0 3 * * *',
      popularRefreshSeconds: 30,
      timezone: 'Asia/Seoul',
      logLevel: 'info',
      seedDemo: true,
      workers: 1,
      redisClusterNodes: undefined,
      couponHolderSetMax: 10_000,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('takes a NATS cluster as a comma-separated list, each a nats URL, and the stream replicas', () => {
    const c = loadConfig({ NATS_URL: 'nats://a:4222, nats://b:4222,nats://c:4222', NATS_STREAM_REPLICAS: '3' });
    expect(c.natsUrl).toBe('nats://a:4222,nats://b:4222,nats://c:4222');
    expect(c.natsStreamReplicas).toBe(3);
    expect(loadConfig({}).natsStreamReplicas).toBe(1);
    expect(() => loadConfig({ NATS_URL: 'nats://a:4222,http://b:4222' })).toThrow(/NATS_URL must be a nats: or tls: URL, got a http: URL/);
    expect(() => loadConfig({ NATS_URL: 'nats://a:4222,' })).toThrow(/NATS_URL/);
    expect(() => loadConfig({ NATS_STREAM_REPLICAS: '0' })).toThrow(/NATS_STREAM_REPLICAS must be an integer from 1 to 5/);
  });

  it('writes answers together unless ANSWER_COALESCING=false, and refuses anything else', () => {
    expect(loadConfig({ ANSWER_COALESCING: 'false' }).answerCoalescing).toBe(false);
    expect(loadConfig({ ANSWER_COALESCING: 'true' }).answerCoalescing).toBe(true);
    expect(() => loadConfig({ ANSWER_COALESCING: '0' })).toThrow(/ANSWER_COALESCING must be true or false/);
  });

  it('does not seed by default on a database server', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).seedDemo).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', SEED_DEMO: 'true' }).seedDemo).toBe(true);
  });

  it('lists every bad value at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', MAX_BALANCE: '-1', TIMEZONE: 'Mars/Base', DATABASE_URL: 'mysql://x', SEED_DEMO: 'yes', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'MAX_BALANCE', 'TIMEZONE', 'DATABASE_URL', 'SEED_DEMO', 'LOG_LEVEL']) expect(problems).toContain(name);
  });

  it('never prints credentials, not even of a URL it refuses', () => {
    for (const url of ['mysql://admin:pw-s3cret@db/x', 'postgres//admin:pw-s3cret@db/x', 'postgres://admin:pw-s3cret@db:99999/x']) {
      let error: unknown;
      try {
        loadConfig({ DATABASE_URL: url, REDIS_URL: url.replace('postgres', 'redis') });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain('DATABASE_URL');
      expect((error as ConfigError).message).not.toContain('s3cret');
    }
  });

  it('refuses an ADMIN_TOKEN shorter than 16 characters without printing it', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'short-secret' })).toThrow(/ADMIN_TOKEN must be at least 16 characters/);
    expect(() => loadConfig({ ADMIN_TOKEN: 'short-secret' })).not.toThrow(/short-secret/);
    expect(loadConfig({ ADMIN_TOKEN: '0123456789abcdef' }).adminToken).toBe('0123456789abcdef');
  });

  it('refuses a cron pattern croner cannot schedule, and accepts one with seconds', () => {
    for (const bad of ['61 * * * *', '* * *', 'daily']) {
      expect(() => loadConfig({ POPULAR_CRON: bad })).toThrow(/POPULAR_CRON/);
    }
    expect(loadConfig({ POPULAR_CRON: '*/5 * * * * *' }).popularCron).toBe('*/5 * * * * *');
    expect(() => loadConfig({ POPULAR_REFRESH_SECONDS: '0' })).toThrow(/POPULAR_REFRESH_SECONDS/);
  });

  it('runs several workers only on PostgreSQL and Redis, which they share', () => {
    const shared = { DATABASE_URL: 'postgres://u@h/db', REDIS_URL: 'redis://h:6379' };
    expect(loadConfig({ ...shared, WORKERS: '4' }).workers).toBe(4);
    expect(() => loadConfig({ WORKERS: '2' })).toThrow(/WORKERS=2 needs DATABASE_URL: the embedded PGlite database belongs to one process/);
    expect(() => loadConfig({ DATABASE_URL: shared.DATABASE_URL, WORKERS: '2' })).toThrow(/WORKERS=2 needs REDIS_URL/);
    expect(loadConfig({ WORKERS: '1' }).workers).toBe(1);
    for (const bad of ['0', '65', 'two', '1.5']) expect(() => loadConfig({ ...shared, WORKERS: bad })).toThrow(/WORKERS must be an integer from 1 to 64/);
    expect(loadConfig({ DATABASE_URL: shared.DATABASE_URL, REDIS_CLUSTER_NODES: 'h:7000', WORKERS: '2' }).workers).toBe(2);
  });

  it('reads a Redis Cluster from REDIS_CLUSTER_NODES, and refuses it together with REDIS_URL', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002' }).redisClusterNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'h:7000', REDIS_URL: 'redis://h:6379' })).toThrow(/not both/);
    for (const bad of ['h', 'h:0', 'h:70000', 'h:7000,', 'redis://h:7000']) {
      expect(() => loadConfig({ REDIS_CLUSTER_NODES: bad })).toThrow(/REDIS_CLUSTER_NODES/);
    }
  });

  it('refuses braces in REDIS_PREFIX (they would move every coupon key into one cluster slot)', () => {
    expect(() => loadConfig({ REDIS_PREFIX: 'shop{1}:' })).toThrow(/REDIS_PREFIX/);
  });

  it('reads COUPON_HOLDER_SET_MAX', () => {
    expect(loadConfig({ COUPON_HOLDER_SET_MAX: '0' }).couponHolderSetMax).toBe(0);
    expect(() => loadConfig({ COUPON_HOLDER_SET_MAX: '-1' })).toThrow(/COUPON_HOLDER_SET_MAX/);
  });
});
