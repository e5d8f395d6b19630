import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../platform/context.js';
import { errors, Page, PageQuery } from '../../platform/http/schemas.js';
import { Product, ProductParams } from './catalog.schema.js';
import { listProducts, readProduct } from './catalog.service.js';

export function catalogRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Querystring: PageQuery }>(
      '/products',
      {
        schema: {
          tags: ['products'],
          summary: 'List products by id, a page at a time',
          querystring: PageQuery,
          response: { 200: Page(Product), ...errors(400) },
        },
      },
      async (request) => listProducts(ctx.db, request.query.cursor, request.query.limit),
    );

    app.get<{ Params: ProductParams }>(
      '/products/:productId',
      {
        schema: {
          tags: ['products'],
          summary: 'A product with its exact stock',
          params: ProductParams,
          response: { 200: Product, ...errors(400, 404) },
        },
      },
      (request, reply) => {
        readProduct(ctx.db, request.params.productId, (err, product) => {
          reply.send(err ?? product);
        });
      },
    );
  };
}
