import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { installAnswerCoalescing } from './answer-coalescing.js';

describe('answer coalescing', () => {
  const app = async (coalesce: boolean) => {
    const a = Fastify();
    if (coalesce) installAnswerCoalescing(a);
    const order: string[] = [];
    // An answer made at once, from memory: with coalescing it is written at the end of the turn.
    a.get('/now', (_request, reply) => {
      setImmediate(() => order.push('end of turn'));
      reply.raw.on('finish', () => order.push('written'));
      return reply.send('ok');
    });
    return { a, order };
  };

  it('writes an answer made at once at the end of its turn of the event loop, not inside it', async () => {
    const { a, order } = await app(true);
    const res = await a.inject('/now');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('ok');
    expect(order).toEqual(['end of turn', 'written']);
  });

  it('without it, the answer is written inside the turn (the comparison that makes the test above mean something)', async () => {
    const { a, order } = await app(false);
    await a.inject('/now');
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['written', 'end of turn']);
  });

  it('answers every request of a burst, each with its own body', async () => {
    const a = Fastify();
    installAnswerCoalescing(a);
    a.get<{ Params: { n: string } }>('/echo/:n', async (request) => ({ n: Number(request.params.n) }));
    const answers = await Promise.all(Array.from({ length: 50 }, (_, n) => a.inject(`/echo/${n}`)));
    expect(answers.map((r) => r.json().n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
  });
});
