import { createHash, timingSafeEqual } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { AppError } from './errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Failed admin attempts one client address may make per window before it is answered 429. */
export const ADMIN_FAILURES_ALLOWED = 10;
export const ADMIN_FAILURE_WINDOW_MS = 60_000;

/** Whether the request carries `Authorization: Bearer <token>`; compares digests, so constant-time whatever the lengths. */
function bearerMatches(expected: Buffer, request: FastifyRequest): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  return Boolean(match?.[1]) && timingSafeEqual(digest(match![1]!), expected);
}

/** A hook that admits only `Authorization: Bearer <ADMIN_TOKEN>`; with no token set, admin is off. */
export function adminGuard(adminToken: string | undefined) {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!expected) throw new AppError('ADMIN_DISABLED', 'Admin API is disabled: ADMIN_TOKEN is not set');
    if (!bearerMatches(expected, request)) {
      reply.header('www-authenticate', 'Bearer');
      throw new AppError('UNAUTHORIZED', 'A valid admin bearer token is required');
    }
  };
}

/**
 * Guards every route of `app` (the admin scope): first the throttle, which counts requests without
 * the right token per client address (in Redis when configured, so all instances share the count)
 * and answers 429 RATE_LIMITED with Retry-After past the allowance; then the token check. Both run
 * on onRequest, before the body is parsed. The right token is never throttled.
 */
export async function installAdminGuard(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const token = ctx.config.adminToken;
  const expected = token === undefined ? undefined : digest(token);
  const noHeaders = { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false };
  await app.register(rateLimit, {
    global: false,
    addHeadersOnExceeding: noHeaders,
    addHeaders: { ...noHeaders, 'retry-after': true },
    ...(ctx.redis ? { redis: ctx.redis.client, nameSpace: 'admin-failures:' } : {}),
    // Redis away: the token check still runs; better unthrottled than locked out.
    skipOnError: true,
  });
  app.addHook(
    'onRequest',
    app.rateLimit({
      max: ADMIN_FAILURES_ALLOWED,
      timeWindow: ADMIN_FAILURE_WINDOW_MS,
      // Only failures count: with admin off there is nothing to guess.
      allowList: (request) => !expected || bearerMatches(expected, request),
      errorResponseBuilder: (_request, c) => new AppError('RATE_LIMITED', `Too many failed admin attempts from this address; retry in ${c.after}`),
    }),
  );
  app.addHook('onRequest', adminGuard(token));
}
