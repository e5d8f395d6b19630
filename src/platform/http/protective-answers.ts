import type { FastifyInstance, RouteOptions } from 'fastify';
import { ErrorResponse } from './schemas.js';

/**
 * Declares in each API route's schema the answers any of them may give besides its own: 503 when
 * overloaded or the database is away, 500 for a bug, and 429 for routes behind a bearer token
 * (the admin throttle). The OpenAPI document then says what the routes really do.
 */
export function declareProtectiveAnswers(app: FastifyInstance, prefix: string): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as { response?: Record<string, unknown>; security?: unknown } | undefined;
    if (!route.url.startsWith(prefix) || !schema?.response) return;
    const extra = [500, 503, ...(schema.security ? [429] : [])];
    for (const status of extra) schema.response[status] ??= ErrorResponse;
  });
}
