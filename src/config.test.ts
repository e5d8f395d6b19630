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
      popularCron: '0 3 * * *',
      popularRefreshSeconds: 30,
      timezone: 'Asia/Seoul',
      logLevel: 'info',
      seedDemo: true,
      redisClusterNodes: undefined,
      couponHolderSetMax: 10_000,
    });
    expect(Object.isFrozen(c)).toBe(true);
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
