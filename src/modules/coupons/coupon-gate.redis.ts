import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { DEFAULT_HOLDER_SET_MAX, type CouponGate, type GateLoader, type GateOutcome, type GateVerdict } from './coupon-gate.js';

/**
 * Keys of one coupon. They share the hash tag `{<couponId>}`, so every script below touches one
 * slot and runs unchanged on a Redis Cluster (the deployment's key prefix must hold no braces).
 * `issued` is the holder set of a small coupon; `count` the number of holders of a large one.
 */
const keys = (couponId: number) =>
  [`coupon:{${couponId}}:issued`, `coupon:{${couponId}}:pending`, `coupon:{${couponId}}:soldout`, `coupon:{${couponId}}:count`] as const;
// The issued set always holds this marker, so "set missing" (Redis restarted or flushed) differs from "none issued".
const MARKER = '_';
/**
 * An admission whose request never settled (its instance died) stops holding a place after this;
 * longer than any issuing request can last (5 s pool wait + 15 s statement timeout).
 */
export const PENDING_TTL_MS = 30_000;

// ARGV[4] = '1': a large coupon, whose holders are counted (KEYS[4]) instead of kept (KEYS[1]).
const ADMIT = `
local holders
if ARGV[4] == '1' then
  local n = redis.call('GET', KEYS[4])
  if not n then return 'REBUILD' end
  holders = tonumber(n)
else
  if redis.call('EXISTS', KEYS[1]) == 0 then return 'REBUILD' end
  if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 'ALREADY_ISSUED' end
  holders = redis.call('SCARD', KEYS[1]) - 1
end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'SOLD_OUT' end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 'PASS' end
if holders + redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 'FULL' end
redis.call('ZADD', KEYS[2], now, ARGV[1])
return 'ADMITTED'`;

// Confirmed holders join the issued set, or the count (only if it exists: a partial state would be
// taken as complete), and the admission is released in the same step, so the claimed count never
// dips in between. A count only grows on ISSUED: a holder the database reported was counted when loaded.
const SETTLE = `
if (ARGV[2] == 'ISSUED' or ARGV[2] == 'ALREADY_ISSUED') and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SADD', KEYS[1], ARGV[1])
end
if ARGV[2] == 'ISSUED' and redis.call('EXISTS', KEYS[4]) == 1 then redis.call('INCR', KEYS[4]) end
if ARGV[2] == 'SOLD_OUT' then redis.call('SET', KEYS[3], '1') end
if ARGV[3] == '1' then redis.call('ZREM', KEYS[2], ARGV[1]) end
return 1`;

// Installs a rebuilt set (KEYS[2], a temporary key) or count (ARGV[3]) unless another instance got there first.
const INSTALL = `
local target = KEYS[1]
if ARGV[2] == '1' then target = KEYS[4] end
if redis.call('EXISTS', target) == 0 then
  -- The rebuilt set had an expiry in case its rebuild was cut short; RENAME carries it over: drop it.
  if ARGV[2] == '1' then redis.call('SET', KEYS[4], ARGV[3]) else redis.call('RENAME', KEYS[2], KEYS[1]); redis.call('PERSIST', KEYS[1]) end
  if ARGV[1] == '1' then redis.call('SET', KEYS[3], '1') end
  return 1
end
if ARGV[2] ~= '1' then redis.call('DEL', KEYS[2]) end
return 0`;

type Client = Redis | Cluster;
type GateRedis = Client & {
  couponAdmit(issued: string, pending: string, soldout: string, count: string, user: number, total: number, ttl: number, counted: string): Promise<string>;
  couponSettle(issued: string, pending: string, soldout: string, count: string, user: number, outcome: string, admitted: string): Promise<number>;
  couponInstall(issued: string, tmp: string, soldout: string, count: string, soldOut: string, counted: string, n: number): Promise<number>;
};

/** The shared gate of all instances: one Lua script per decision, so no two requests interleave inside one. */
export class RedisCouponGate implements CouponGate {
  readonly kind = 'redis' as const;
  private readonly redis: GateRedis;
  private readonly rebuilding = new Map<number, Promise<void>>();

  constructor(
    redis: Client,
    private readonly load: GateLoader,
    private readonly onSettleError: (err: unknown) => void = () => {},
    private readonly pendingTtlMs = PENDING_TTL_MS,
    private readonly holderSetMax = DEFAULT_HOLDER_SET_MAX,
  ) {
    if (!('couponAdmit' in redis)) {
      redis.defineCommand('couponAdmit', { numberOfKeys: 4, lua: ADMIT });
      redis.defineCommand('couponSettle', { numberOfKeys: 4, lua: SETTLE });
      redis.defineCommand('couponInstall', { numberOfKeys: 4, lua: INSTALL });
    }
    this.redis = redis as GateRedis;
  }

  async admit(couponId: number, userId: number, totalQuantity: number): Promise<GateVerdict> {
    const [issued, pending, soldout, count] = keys(couponId);
    const counted = totalQuantity > this.holderSetMax;
    const ask = () => this.redis.couponAdmit(issued, pending, soldout, count, userId, totalQuantity, this.pendingTtlMs, counted ? '1' : '0');
    let verdict = await ask();
    if (verdict === 'REBUILD') {
      // One rebuild per coupon per instance at a time; the others wait for it.
      let running = this.rebuilding.get(couponId);
      if (!running) {
        running = this.rebuild(couponId, counted).finally(() => this.rebuilding.delete(couponId));
        this.rebuilding.set(couponId, running);
      }
      await running;
      verdict = await ask();
      if (verdict === 'REBUILD') throw new Error(`coupon gate for ${couponId} vanished while rebuilding`);
    }
    return verdict as GateVerdict;
  }

  async settle(couponId: number, userId: number, outcome: GateOutcome, admitted: boolean): Promise<void> {
    const [issued, pending, soldout, count] = keys(couponId);
    try {
      await this.redis.couponSettle(issued, pending, soldout, count, userId, outcome, admitted ? '1' : '0');
    } catch (err) {
      // A lost release only holds a place until PENDING_TTL_MS; the database stays right meanwhile.
      this.onSettleError(err);
    }
  }

  async markSoldOut(couponId: number): Promise<void> {
    try {
      await this.redis.set(keys(couponId)[2], '1');
    } catch (err) {
      // Only speed is lost: every instance learns it from the database once.
      this.onSettleError(err);
    }
  }

  /**
   * Rebuilds the state from the database: a large coupon's count at once; a small coupon's holder
   * set into a fresh key (same slot), then installed if still missing.
   */
  private async rebuild(couponId: number, counted: boolean): Promise<void> {
    const { holders, issued: n, soldOut } = await this.load(couponId, !counted);
    const [issued, , soldout, count] = keys(couponId);
    const tmp = `${issued}:rebuild:${randomBytes(6).toString('hex')}`;
    if (!counted) {
      const CHUNK = 5_000;
      await this.redis.sadd(tmp, MARKER);
      await this.redis.expire(tmp, 60); // a rebuild cut short (a crash, a timed-out command) leaves nothing behind
      for (let i = 0; i < holders.length; i += CHUNK) await this.redis.sadd(tmp, ...holders.slice(i, i + CHUNK));
    }
    await this.redis.couponInstall(issued, tmp, soldout, count, soldOut ? '1' : '0', counted ? '1' : '0', n);
  }
}
