import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../platform/context.js';
import { installAdminGuard } from '../../platform/http/admin-auth.js';
import { errors } from '../../platform/http/schemas.js';
import { Coupon, CreateCouponBody, defineCoupon } from '../coupons/index.js';
import { changeProduct, createProduct, CreateProductBody, PatchProductBody, Product, ProductParams } from '../catalog/index.js';

const security = [{ adminToken: [] }];

/** Operator routes, all behind the ADMIN_TOKEN bearer; `more` are other modules' admin routes, registered inside the guard. */
export function adminRoutes(ctx: AppContext, more: FastifyPluginAsync[] = []): FastifyPluginAsync {
  return async (app) => {
    // onRequest: the throttle and the token check run before the body is even parsed or validated.
    await installAdminGuard(app, ctx);
    for (const routes of more) await app.register(routes);

    app.post<{ Body: CreateProductBody }>(
      '/admin/products',
      {
        schema: {
          tags: ['admin'],
          summary: 'Create a product',
          security,
          body: CreateProductBody,
          response: { 201: Product, ...errors(400, 401, 403) },
        },
      },
      async (request, reply) => {
        const { name, price, stock } = request.body;
        reply.code(201);
        return createProduct(ctx.db, { name: name.trim(), price, stock });
      },
    );

    app.patch<{ Params: ProductParams; Body: PatchProductBody }>(
      '/admin/products/:productId',
      {
        schema: {
          tags: ['admin'],
          summary: 'Change the price, set the stock, or add to it',
          description: '`stock` sets the stock; `stockDelta` adds to it (negative removes; 409 OUT_OF_STOCK below 0). Both at once, or any other field, is 400. Every stock change is recorded as a stock movement.',
          security,
          params: ProductParams,
          body: PatchProductBody,
          response: { 200: Product, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) => changeProduct(ctx.db, request.params.productId, request.body),
    );

    app.post<{ Body: CreateCouponBody }>(
      '/admin/coupons',
      {
        schema: {
          tags: ['admin'],
          summary: 'Define a coupon',
          security,
          body: CreateCouponBody,
          response: { 201: Coupon, ...errors(400, 401, 403) },
        },
      },
      async (request, reply) => {
        reply.code(201);
        return defineCoupon(ctx.db, request.body);
      },
    );
  };
}
