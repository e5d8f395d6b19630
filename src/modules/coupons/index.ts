import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../platform/context.js';
import { MemoryCouponGate, type CouponGate, type GateLoader } from './coupon-gate.js';
import { PENDING_TTL_MS, RedisCouponGate } from './coupon-gate.redis.js';
import { readHolders } from './coupons.repo.js';
import { couponsRoutes } from './coupons.routes.js';
import { CouponIssuer } from './coupons.service.js';
import type { UserDirectory } from '../users/index.js';

export { defineCoupon, toCouponView, type CouponView } from './coupons.catalog.js';
export { Coupon, CreateCouponBody } from './coupons.schema.js';
export { coupons, couponIssues } from './coupons.tables.js';

/** The coupons module: the gate (Redis when configured, else in-process), the issuer and its routes. */
export function couponsModule(ctx: AppContext, users: UserDirectory): FastifyPluginAsync {
  const load: GateLoader = async (couponId, withHolders) =>
    (await readHolders(ctx.db, couponId, withHolders)) ?? { holders: [], issued: 0, soldOut: false };
  const max = ctx.config.couponHolderSetMax;
  const gate: CouponGate = ctx.redis
    ? new RedisCouponGate(ctx.redis.client, load, undefined, PENDING_TTL_MS, max)
    : new MemoryCouponGate(load, max);
  return couponsRoutes(ctx, new CouponIssuer(ctx, gate, users));
}
