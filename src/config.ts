import path from 'node:path';
import { Cron } from 'croner';

/** Everything the process reads from the environment, validated once and frozen. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  /** Prefix of every Redis key, so deployments (and test runs) sharing a Redis never meet. */
  readonly redisPrefix: string;
  readonly natsUrl: string | undefined;
  readonly dataDir: string;
  readonly adminToken: string | undefined;
  readonly maxBalance: number;
  readonly shippingFee: number;
  readonly freeShippingThreshold: number;
  readonly orderHoldMinutes: number;
  readonly popularCron: string;
  /** How often each instance re-reads the latest ranking, in case a Redis message was missed. */
  readonly popularRefreshSeconds: number;
  readonly timezone: string;
  readonly logLevel: string;
  readonly seedDemo: boolean;
  readonly dbPoolSize: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates the environment; throws ConfigError listing every bad value. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return Number(raw);
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) throw new Error('protocol');
      return raw;
    } catch {
      problems.push(`${name} must be a ${protocols.join(' or ')} URL, got "${raw}"`);
      return undefined;
    }
  };

  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const timezone = str('TIMEZONE') ?? 'Asia/Seoul';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    problems.push(`TIMEZONE must be an IANA time zone, got "${timezone}"`);
  }
  const logLevel = str('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const seedRaw = str('SEED_DEMO');
  if (seedRaw !== undefined && seedRaw !== 'true' && seedRaw !== 'false') {
    problems.push(`SEED_DEMO must be true or false, got "${seedRaw}"`);
  }
  const popularCron = str('POPULAR_CRON') ?? '0 3 * * *';
  try {
    // croner itself parses it (5 or 6 fields, or @daily and the like): a pattern it refuses stops start-up.
    new Cron(popularCron, { paused: true }).stop();
  } catch {
    problems.push(`POPULAR_CRON must be a cron expression, got "${popularCron}"`);
  }

  const config: Config = {
    port: int('PORT', 3000, 0, 65535),
    host: str('HOST') ?? '0.0.0.0',
    databaseUrl,
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: str('REDIS_PREFIX') ?? 'ecom:',
    natsUrl: url('NATS_URL', ['nats:', 'tls:']),
    dataDir: path.resolve(str('DATA_DIR') ?? './data'),
    adminToken: str('ADMIN_TOKEN'),
    maxBalance: int('MAX_BALANCE', 10_000_000, 1),
    shippingFee: int('SHIPPING_FEE', 3_000, 0),
    freeShippingThreshold: int('FREE_SHIPPING_THRESHOLD', 30_000, 0),
    orderHoldMinutes: int('ORDER_HOLD_MINUTES', 10, 1),
    popularCron,
    popularRefreshSeconds: int('POPULAR_REFRESH_SECONDS', 30, 1, 86_400),
    timezone,
    logLevel,
    seedDemo: seedRaw === undefined ? databaseUrl === undefined : seedRaw === 'true',
    dbPoolSize: int('DB_POOL_SIZE', 20, 1, 1000),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
