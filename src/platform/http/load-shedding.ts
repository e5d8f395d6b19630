import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { OncePerInterval } from '../../shared/once-per-interval.js';
import { AppError } from './errors.js';

/** Requests of a connection counted in flight and not yet released. */
const kCounted = Symbol('requestsCountedInFlight');
/** A connection as the count sees it: a net.Socket in the server, anything that says 'close' in a test. */
export interface Connection {
  readonly destroyed: boolean;
  on(event: 'close', listener: () => void): unknown;
}
type CountedSocket = Connection & { [kCounted]?: number };

/**
 * The requests in flight, counted per connection with one 'close' listener per connection rather
 * than one per request (measured, the per-request listener was ~5 % of the popular read's CPU,
 * docs/benchmarks.md). A request's slot is freed when its answer has gone, or when its connection
 * closes first: Fastify runs no onResponse for a request whose client went away. A connection's
 * count only goes down while above zero, so an answer that finishes after its connection closed
 * frees nothing twice.
 */
export class InFlight {
  private count = 0;
  private readonly onClose: (this: CountedSocket) => void;

  constructor(readonly max: number) {
    const closed = (socket: CountedSocket) => {
      this.count -= socket[kCounted] ?? 0;
      socket[kCounted] = 0;
    };
    this.onClose = function (this: CountedSocket) {
      closed(this);
    };
  }

  get size(): number {
    return this.count;
  }

  /**
   * Takes a slot for a request on `socket`; false when all are taken (the request is refused and
   * holds none). A connection already gone may have said 'close' before anyone listened: its
   * request, whose answer has no one to reach, is served without a slot.
   */
  admit(socket: CountedSocket): boolean {
    if (this.count >= this.max) return false;
    if (socket.destroyed) return true;
    const counted = socket[kCounted];
    if (counted === undefined) socket.on('close', this.onClose);
    socket[kCounted] = (counted ?? 0) + 1;
    this.count++;
    return true;
  }

  /** Frees the slot of a request on `socket` whose answer has gone. */
  answered(socket: CountedSocket): void {
    if (socket[kCounted]! > 0) {
      socket[kCounted]!--;
      this.count--;
    }
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Whether load shedding counted this request in flight (a refused one is not). */
    countedInFlight: boolean;
  }
}

/**
 * Sheds load before it reaches the database pool: with `maxInFlight` requests of this scope
 * already being served, another is answered 503 SERVICE_UNAVAILABLE with Retry-After at once and
 * runs nothing. Below that bound, a request waits for a pooled connection at most the pool's
 * connect timeout and is then answered 503 the same way (see the error handler): measured, that
 * bounded wait keeps more throughput than a tight cap (docs/benchmarks.md), so the cap is a
 * safety valve against floods, not the first line. The counting is {@link InFlight}'s.
 */
export function installLoadShedding(app: FastifyInstance, maxInFlight: number): void {
  const inFlight = new InFlight(maxInFlight);
  const overload = new OncePerInterval(10_000);
  app.decorateRequest('countedInFlight', false);
  app.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (!inFlight.admit(request.raw.socket)) {
      const n = overload.hit();
      if (n !== undefined) request.log.warn({ inFlight: inFlight.size, maxInFlight }, `overloaded: ${n} request(s) answered 503 since the last report`);
      return done(new AppError('SERVICE_UNAVAILABLE', 'The service is overloaded; retry later'));
    }
    request.countedInFlight = true;
    done();
  });
  app.addHook('onResponse', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (request.countedInFlight) inFlight.answered(request.raw.socket);
    done();
  });
}
