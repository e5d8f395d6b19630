import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';

const Check = Type.Union([Type.Literal('up'), Type.Literal('down')]);
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), Check),
});

async function probe(fn: () => Promise<void>, timeoutMs = 1_000): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness and readiness, outside the API prefix. */
export function healthRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/health', { schema: { tags: ['operations'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({
      status: 'ok' as const,
    }));

    app.get(
      '/ready',
      { schema: { tags: ['operations'], response: { 200: Readiness, 503: Readiness } } },
      async (_request, reply) => {
        const checks: Record<string, 'up' | 'down'> = { database: await probe(() => ctx.database.ping()) };
        if (ctx.redis) checks['redis'] = await probe(() => ctx.redis!.ping());
        if (ctx.eventSink?.name === 'nats') checks['nats'] = await probe(() => ctx.eventSink!.ping());
        const ready = Object.values(checks).every((c) => c === 'up');
        reply.code(ready ? 200 : 503);
        return { status: ready ? 'ready' : 'unavailable', checks };
      },
    );
  };
}
