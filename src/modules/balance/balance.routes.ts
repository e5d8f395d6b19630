import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../platform/context.js';
import { errors, IdempotencyHeaders } from '../../platform/http/schemas.js';
import { UserBalance, UserParams } from '../users/index.js';
import { ChargeBody, HistoryEntry, HistoryQuery } from './balance.schema.js';
import { chargeBalance, getBalance, getHistory } from './balance.service.js';

export function balanceRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.put<{ Params: UserParams; Body: ChargeBody; Headers: { 'idempotency-key'?: string } }>(
      '/users/:userId/balance',
      {
        schema: {
          tags: ['balance'],
          summary: 'Charge the balance',
          description: 'Adds `amount` (1..1,000,000 won). Accepts `Idempotency-Key`: a repeat with the same key and body replays the first answer.',
          params: UserParams,
          headers: IdempotencyHeaders,
          body: ChargeBody,
          response: { 200: UserBalance, ...errors(400, 404, 409) },
        },
      },
      async (request, reply) => {
        const { status, body } = await chargeBalance(ctx, request.params.userId, request.body.amount, request.headers['idempotency-key']);
        reply.code(status);
        return body;
      },
    );

    app.get<{ Params: UserParams }>(
      '/users/:userId/balance',
      {
        schema: { tags: ['balance'], summary: 'Current balance', params: UserParams, response: { 200: UserBalance, ...errors(400, 404) } },
      },
      async (request) => getBalance(ctx, request.params.userId),
    );

    app.get<{ Params: UserParams; Querystring: HistoryQuery }>(
      '/users/:userId/balance/history',
      {
        schema: {
          tags: ['balance'],
          summary: 'Balance ledger, newest first',
          params: UserParams,
          querystring: HistoryQuery,
          response: { 200: Type.Array(HistoryEntry), ...errors(400, 404) },
        },
      },
      async (request) => getHistory(ctx, request.params.userId, request.query.limit),
    );
  };
}
