import Fastify from 'fastify';

// The yardstick: a bare Fastify route on the same machine, in its own process like the service.
const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));
// The framework's own ceiling for a refusal: the issue route's body, validated by the same JSON
// schema (closed object, positive integer ids), answered 409 in the error model's shape.
const Id = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
app.post(
  '/refuse',
  { schema: { body: { type: 'object', properties: { couponId: Id, userId: Id }, required: ['couponId', 'userId'], additionalProperties: false } } },
  async (request, reply) => {
    const { couponId } = request.body as { couponId: number };
    return reply.code(409).send({ code: 'COUPON_SOLD_OUT', message: `Coupon ${couponId} is sold out` });
  },
);
await app.listen({ port: Number(process.env['PORT'] ?? 3100), host: '127.0.0.1' });
