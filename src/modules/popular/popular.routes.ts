import type { FastifyPluginAsync } from 'fastify';
import { errors } from '../../platform/http/schemas.js';
import type { PopularProducts } from './popular.module.js';
import { RankingRun, RunBatchBody, Top5 } from './popular.schema.js';

/** True when an If-None-Match header names `etag` (a list, a weak tag or `*` included). */
export function matchesEtag(header: string, etag: string): boolean {
  if (header === etag) return true;
  return header.split(',').some((raw) => {
    const tag = raw.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/** The public read, answered from memory: no database, no serialization on the way. */
export function popularRoutes(popular: PopularProducts): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onReady', () => popular.start());
    app.addHook('onClose', () => popular.stop());

    // A static path: Fastify's router prefers it to the parametric /products/:productId.
    app.get(
      '/products/popular/top5',
      {
        schema: {
          tags: ['products'],
          summary: 'The top 5 products of the latest ranking',
          description:
            'Units sold in PAID orders over the three full days before the run date (TIMEZONE), ties by product id. ' +
            'ETag names the run; X-Ranking-Date is its run date; If-None-Match with the current ETag answers 304.',
          response: { 200: Top5, 304: { type: 'null', description: 'Not modified' } },
        },
      },
      (request, reply) => {
        const snapshot = popular.cache.current();
        reply.headers(snapshot.headers);
        const ifNoneMatch = request.headers['if-none-match'];
        if (ifNoneMatch !== undefined && matchesEtag(ifNoneMatch, snapshot.etag)) reply.code(304).send();
        // A string is sent as it is: the JSON was built once, when the run was installed.
        else reply.send(snapshot.body);
      },
    );
  };
}

/** The operator's route; registered inside the admin routes so their guard applies. */
export function popularAdminRoutes(popular: PopularProducts): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: RunBatchBody }>(
      '/admin/batch/popular-products',
      {
        schema: {
          tags: ['admin'],
          summary: 'Run the popular-products batch now',
          description: 'For run date `date` (YYYY-MM-DD in TIMEZONE, any date; default today). Replaces that date\'s ranking.',
          security: [{ adminToken: [] }],
          body: RunBatchBody,
          response: { 200: RankingRun, ...errors(400, 401, 403) },
        },
        // The body is optional: a bare POST (no body at all) means "today".
        preValidation: async (request) => {
          if (request.body === undefined) request.body = {};
        },
      },
      async (request) => popular.runNow(request.body.date),
    );
  };
}
