import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CouponGate, GateLoader, GateOutcome, GateVerdict } from './coupon-gate.js';

// Keys of one coupon share a hash tag, so the scripts stay valid on a Redis Cluster.
const keys = (couponId: number) => [`coupon:{${couponId}}:issued`, `coupon:{${couponId}}:pending`, `coupon:{${couponId}}:soldout`];
// The issued set always holds this marker, so "set missing" (Redis restarted or flushed) differs from "none issued".
const MARKER = '_';
/**
 * An admission whose request never settled (its instance died) stops holding a place after this;
 * longer than any issuing request can last (5 s pool wait + 15 s statement timeout).
 */
export const PENDING_TTL_MS = 30_000;

const ADMIT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'REBUILD' end
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 'ALREADY_ISSUED' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'SOLD_OUT' end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 'PASS' end
if redis.call('SCARD', KEYS[1]) - 1 + redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 'FULL' end
redis.call('ZADD', KEYS[2], now, ARGV[1])
return 'ADMITTED'`;

// Confirmed holders join the issued set (only if it exists: a partial set would be taken as complete),
// and the admission is released in the same step, so the claimed count never dips in between.
const SETTLE = `
if (ARGV[2] == 'ISSUED' or ARGV[2] == 'ALREADY_ISSUED') and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SADD', KEYS[1], ARGV[1])
end
if ARGV[2] == 'SOLD_OUT' then redis.call('SET', KEYS[3], '1') end
if ARGV[3] == '1' then redis.call('ZREM', KEYS[2], ARGV[1]) end
return 1`;

// Installs a rebuilt set unless another instance got there first.
const INSTALL = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('RENAME', KEYS[2], KEYS[1])
  if ARGV[1] == '1' then redis.call('SET', KEYS[3], '1') end
  return 1
end
redis.call('DEL', KEYS[2])
return 0`;

type GateRedis = Redis & {
  couponAdmit(issued: string, pending: string, soldout: string, user: number, total: number, ttl: number): Promise<string>;
  couponSettle(issued: string, pending: string, soldout: string, user: number, outcome: string, admitted: string): Promise<number>;
  couponInstall(issued: string, tmp: string, soldout: string, soldOut: string): Promise<number>;
};

/** The shared gate of all instances: one Lua script per decision, so no two requests interleave inside one. */
export class RedisCouponGate implements CouponGate {
  readonly kind = 'redis' as const;
  private readonly redis: GateRedis;
  private readonly rebuilding = new Map<number, Promise<void>>();

  constructor(
    redis: Redis,
    private readonly load: GateLoader,
    private readonly onSettleError: (err: unknown) => void = () => {},
    private readonly pendingTtlMs = PENDING_TTL_MS,
  ) {
    if (!('couponAdmit' in redis)) {
      redis.defineCommand('couponAdmit', { numberOfKeys: 3, lua: ADMIT });
      redis.defineCommand('couponSettle', { numberOfKeys: 3, lua: SETTLE });
      redis.defineCommand('couponInstall', { numberOfKeys: 3, lua: INSTALL });
    }
    this.redis = redis as GateRedis;
  }

  async admit(couponId: number, userId: number, totalQuantity: number): Promise<GateVerdict> {
    const [issued, pending, soldout] = keys(couponId) as [string, string, string];
    let verdict = await this.redis.couponAdmit(issued, pending, soldout, userId, totalQuantity, this.pendingTtlMs);
    if (verdict === 'REBUILD') {
      // One rebuild per coupon per instance at a time; the others wait for it.
      let running = this.rebuilding.get(couponId);
      if (!running) {
        running = this.rebuild(couponId).finally(() => this.rebuilding.delete(couponId));
        this.rebuilding.set(couponId, running);
      }
      await running;
      verdict = await this.redis.couponAdmit(issued, pending, soldout, userId, totalQuantity, this.pendingTtlMs);
      if (verdict === 'REBUILD') throw new Error(`coupon gate for ${couponId} vanished while rebuilding`);
    }
    return verdict as GateVerdict;
  }

  async settle(couponId: number, userId: number, outcome: GateOutcome, admitted: boolean): Promise<void> {
    const [issued, pending, soldout] = keys(couponId) as [string, string, string];
    try {
      await this.redis.couponSettle(issued, pending, soldout, userId, outcome, admitted ? '1' : '0');
    } catch (err) {
      // A lost release only holds a place until PENDING_TTL_MS; the database stays right meanwhile.
      this.onSettleError(err);
    }
  }

  /** Rebuilds the issued set from the database into a fresh key, then installs it if still missing. */
  private async rebuild(couponId: number): Promise<void> {
    const { holders, soldOut } = await this.load(couponId);
    const [issued, , soldout] = keys(couponId) as [string, string, string];
    const tmp = `${issued}:rebuild:${randomBytes(6).toString('hex')}`;
    const CHUNK = 5_000;
    await this.redis.sadd(tmp, MARKER);
    for (let i = 0; i < holders.length; i += CHUNK) await this.redis.sadd(tmp, ...holders.slice(i, i + CHUNK));
    await this.redis.expire(tmp, 60); // a rebuild cut short by a crash leaves nothing behind
    await this.redis.couponInstall(issued, tmp, soldout, soldOut ? '1' : '0');
  }
}
