import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../platform/context.js';
import { errors } from '../../platform/http/schemas.js';
import { UserParams } from '../users/index.js';
import { userCoupons } from './coupons.catalog.js';
import { IssueBody, IssuedCoupon, UserCoupon } from './coupons.schema.js';
import type { CouponIssuer } from './coupons.service.js';

export function couponsRoutes(ctx: AppContext, issuer: CouponIssuer): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: IssueBody }>(
      '/coupons/issue',
      {
        schema: {
          tags: ['coupons'],
          summary: 'Issue a coupon, first come first served',
          description: 'Checked in this order: body, user, coupon, issue window, already issued, quantity.',
          body: IssueBody,
          response: { 201: IssuedCoupon, ...errors(400, 404, 409) },
        },
      },
      async (request, reply) => {
        reply.code(201);
        return issuer.issue(request.body.couponId, request.body.userId);
      },
    );

    app.get<{ Params: UserParams }>(
      '/users/:userId/coupons',
      {
        schema: {
          tags: ['coupons'],
          summary: "The user's coupons, newest first",
          params: UserParams,
          response: { 200: Type.Array(UserCoupon), ...errors(400, 404) },
        },
      },
      async (request) => userCoupons(ctx.db, request.params.userId),
    );
  };
}
