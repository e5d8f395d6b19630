import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../platform/context.js';
import { errors, IdempotencyHeaders, Page } from '../../platform/http/schemas.js';
import { UserParams } from '../users/index.js';
import { Order, OrderParams, OrdersQuery, PayBody, PlaceOrderBody } from './orders.schema.js';
import { getOrder, listUserOrders, payOrder, placeOrder } from './orders.service.js';

type KeyHeader = { 'idempotency-key'?: string };

export function ordersRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: PlaceOrderBody; Headers: KeyHeader }>(
      '/orders',
      {
        schema: {
          tags: ['orders'],
          summary: 'Order and pay in one call',
          description:
            'Checked in this order: body (400; a product listed twice is 400), user (404), each product (404), coupon ' +
            '(409 COUPON_NOT_USABLE, also for a coupon the user does not hold), stock (409 OUT_OF_STOCK, nothing reserved), ' +
            'then payment: a short balance answers 402 INSUFFICIENT_BALANCE and leaves the order PAYMENT_FAILED, holding its ' +
            'stock and coupon for ORDER_HOLD_MINUTES (pay it with POST /payments). Accepts `Idempotency-Key`.',
          headers: IdempotencyHeaders,
          body: PlaceOrderBody,
          response: { 201: Order, ...errors(400, 402, 404, 409) },
        },
      },
      async (request, reply) => {
        const { status, body } = await placeOrder(ctx, request.body, request.headers['idempotency-key']);
        reply.code(status);
        return body;
      },
    );

    app.post<{ Body: PayBody; Headers: KeyHeader }>(
      '/payments',
      {
        schema: {
          tags: ['orders'],
          summary: 'Pay an unpaid order',
          description:
            'Pays a CREATED or PAYMENT_FAILED order from the balance. On a PAID order it answers 200 with the order and ' +
            'takes nothing; concurrent calls take turns. 409 ORDER_NOT_PAYABLE when cancelled or past its hold. Accepts `Idempotency-Key`.',
          headers: IdempotencyHeaders,
          body: PayBody,
          response: { 200: Order, ...errors(400, 402, 404, 409) },
        },
      },
      async (request, reply) => {
        const { status, body } = await payOrder(ctx, request.body.orderId, request.headers['idempotency-key']);
        reply.code(status);
        return body;
      },
    );

    app.get<{ Params: OrderParams }>(
      '/orders/:orderId',
      { schema: { tags: ['orders'], summary: 'An order', params: OrderParams, response: { 200: Order, ...errors(400, 404) } } },
      async (request) => getOrder(ctx, request.params.orderId),
    );

    app.get<{ Params: UserParams; Querystring: OrdersQuery }>(
      '/users/:userId/orders',
      {
        schema: {
          tags: ['orders'],
          summary: "The user's orders, newest first, a page at a time",
          params: UserParams,
          querystring: OrdersQuery,
          response: { 200: Page(Order), ...errors(400, 404) },
        },
      },
      async (request) => listUserOrders(ctx, request.params.userId, request.query.cursor, request.query.limit),
    );
  };
}
