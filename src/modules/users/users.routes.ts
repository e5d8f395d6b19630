import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../platform/context.js';
import { errors } from '../../platform/http/schemas.js';
import { CreateUserBody, UserBalance } from './users.schema.js';
import type { UserDirectory } from './user-directory.js';
import { createUser } from './users.service.js';

export function usersRoutes(ctx: AppContext, directory: UserDirectory): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: CreateUserBody }>(
      '/users',
      {
        schema: {
          tags: ['users'],
          summary: 'Register a user (balance starts at 0)',
          body: CreateUserBody,
          response: { 201: UserBalance, ...errors(400) },
        },
      },
      async (request, reply) => {
        const user = await createUser(ctx.db, request.body.name.trim());
        directory.add(user.userId);
        reply.code(201);
        return user;
      },
    );
  };
}
