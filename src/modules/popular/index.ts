import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../platform/context.js';
import { PopularProducts, type WarnLog } from './popular.module.js';
import { popularAdminRoutes, popularRoutes } from './popular.routes.js';

export { PopularProducts, type WarnLog } from './popular.module.js';
export type { PopularProductView, RankingView } from './popular.service.js';
export { popularProducts, popularRuns } from './popular.tables.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The ranking capability, for the process: the schedule and the start-up run (server.ts). */
    popular: PopularProducts;
  }
}

/** The popular-products module: the capability object, its public read and its admin route. */
export function popularModule(
  ctx: AppContext,
  log: WarnLog,
): { popular: PopularProducts; routes: FastifyPluginAsync; adminRoutes: FastifyPluginAsync } {
  const popular = new PopularProducts(ctx, log, { refreshMs: ctx.config.popularRefreshSeconds * 1000 });
  return { popular, routes: popularRoutes(popular), adminRoutes: popularAdminRoutes(popular) };
}
