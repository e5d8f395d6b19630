import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from './config.js';
import type { AppContext } from './platform/context.js';
import type { Database } from './platform/db/db.js';
import { clientErrorHandler, frameworkErrorHandler, requestId } from './platform/http/early-errors.js';
import { installAnswerCoalescing } from './platform/http/answer-coalescing.js';
import { installErrorHandling } from './platform/http/error-handler.js';
import { installJsonBody } from './platform/http/json-body.js';
import { installLoadShedding } from './platform/http/load-shedding.js';
import { declareProtectiveAnswers } from './platform/http/protective-answers.js';
import { healthRoutes } from './platform/http/health.routes.js';
import { installMetrics, Metrics } from './platform/http/metrics.js';
import { ErrorResponse } from './platform/http/schemas.js';
import { installValidation } from './platform/http/validation.js';
import { requestLoggerFactory } from './platform/logging.js';
import type { RedisHandle } from './platform/redis/redis.js';
import { NO_EVENTS, type EventsHandle } from './platform/events/relay.js';
import type { EventSink } from './platform/events/sink.js';
import { adminRoutes } from './modules/admin/index.js';
import { balanceRoutes } from './modules/balance/index.js';
import { catalogRoutes } from './modules/catalog/index.js';
import { couponsModule } from './modules/coupons/index.js';
import { ordersRoutes } from './modules/orders/index.js';
import { popularModule } from './modules/popular/index.js';
import { UserDirectory, usersRoutes } from './modules/users/index.js';

export interface AppOptions {
  config: Config;
  database: Database;
  redis?: RedisHandle | undefined;
  /** The outbox relay (or anything told about commits that wrote events); none by default. */
  events?: EventsHandle | undefined;
  eventSink?: EventSink | undefined;
  logger?: FastifyServerOptions['logger'];
}

export const API_PREFIX = '/api/v1';

/** Builds the whole HTTP app without listening, so tests can inject requests or listen on any port. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const metrics = new Metrics();
  const { requestTimeoutMs } = opts.config;
  const app: FastifyInstance = Fastify({
    logger: opts.logger ?? false,
    // Each request's logger is made when it first writes a line (see requestLoggerFactory).
    ...(opts.logger ? { childLoggerFactory: requestLoggerFactory } : {}),
    // The client's X-Request-Id only when short and plain (see requestId).
    requestIdHeader: false,
    genReqId: requestId,
    bodyLimit: 256 * 1024,
    // While closing, requests already on open connections are served normally, in the error model.
    return503OnClosing: false,
    // Node checks request deadlines on a timer; the deadline plus one check stays within the limit.
    requestTimeout: Math.floor(requestTimeoutMs * 0.9),
    http: { headersTimeout: Math.floor(requestTimeoutMs * 0.9), connectionsCheckingInterval: Math.ceil(requestTimeoutMs * 0.1) },
    frameworkErrors: frameworkErrorHandler(metrics),
    clientErrorHandler: clientErrorHandler(metrics, () => app.log),
  });
  const ctx: AppContext = {
    config: opts.config,
    database: opts.database,
    db: opts.database.db,
    metrics,
    redis: opts.redis,
    events: opts.events ?? NO_EVENTS,
    eventSink: opts.eventSink,
  };

  installValidation(app);
  installJsonBody(app);
  if (opts.config.answerCoalescing) installAnswerCoalescing(app);
  // Before any route: each route gets its own metrics hook.
  const metricsHooks = installMetrics(app, ctx.metrics);
  installErrorHandling(app, { onResponse: metricsHooks.unmatched });
  declareProtectiveAnswers(app, API_PREFIX);
  // Set as the request starts, so that every answer carries it, error answers included (Fastify
  // keeps the headers set on a reply when an error replaces its body). Callback style: no promise.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.addSchema(ErrorResponse);

  await app.register(swagger, {
    openapi: {
      info: { title: 'E-commerce API', version: '1.0.0', description: 'Balance, products, coupons, orders and the popular-products ranking.' },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes(ctx));
  // popular: the process (server.ts) reaches the schedule and the start-up run through app.popular.
  const popular = popularModule(ctx, app.log);
  // Which users exist: read in the background from the start, so a fresh instance answers a
  // stampede's users from memory (see UserDirectory).
  const users = new UserDirectory(ctx.db);
  app.addHook('onReady', async () => void users.warm());
  app.addHook('onClose', async () => users.stop());
  app.decorate('popular', popular.popular);
  await app.register(
    async (api) => {
      installLoadShedding(api, ctx.config.maxInFlight);
      await api.register(usersRoutes(ctx, users));
      await api.register(balanceRoutes(ctx));
      await api.register(catalogRoutes(ctx));
      await api.register(couponsModule(ctx, users));
      await api.register(ordersRoutes(ctx));
      await api.register(popular.routes);
      await api.register(adminRoutes(ctx, [popular.adminRoutes]));
    },
    { prefix: API_PREFIX },
  );
  return app;
}
