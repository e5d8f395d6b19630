import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** A preHandler that admits only `Authorization: Bearer <ADMIN_TOKEN>`; with no token set, admin is off. */
export function adminGuard(adminToken: string | undefined) {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!expected) throw new AppError('ADMIN_DISABLED', 'Admin API is disabled: ADMIN_TOKEN is not set');
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    // Comparing digests keeps the comparison constant-time whatever the lengths.
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      reply.header('www-authenticate', 'Bearer');
      throw new AppError('UNAUTHORIZED', 'A valid admin bearer token is required');
    }
  };
}
