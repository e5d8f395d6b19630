import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { OncePerInterval } from '../../shared/once-per-interval.js';
import { AppError } from './errors.js';

/**
 * Sheds load before it reaches the database pool: with `maxInFlight` requests of this scope
 * already being served, another is answered 503 SERVICE_UNAVAILABLE with Retry-After at once and
 * runs nothing. Below that bound, a request waits for a pooled connection at most the pool's
 * connect timeout and is then answered 503 the same way (see the error handler): measured, that
 * bounded wait keeps more throughput than a tight cap (docs/benchmarks.md), so the cap is a
 * safety valve against floods, not the first line. The cost per request is a counter and a listener.
 */
export function installLoadShedding(app: FastifyInstance, maxInFlight: number): void {
  let inFlight = 0;
  const overload = new OncePerInterval(10_000);
  const release = () => {
    inFlight--;
  };
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (inFlight >= maxInFlight) {
      const n = overload.hit();
      if (n !== undefined) request.log.warn({ inFlight, maxInFlight }, `overloaded: ${n} request(s) answered 503 since the last report`);
      return done(new AppError('SERVICE_UNAVAILABLE', 'The service is overloaded; retry later'));
    }
    inFlight++;
    // 'close' comes once per response, whether it finished or the client went away (so `on`, not
    // `once`: no wrapper per request).
    reply.raw.on('close', release);
    done();
  });
}
