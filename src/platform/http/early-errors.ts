import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from './errors.js';
import type { Metrics } from './metrics.js';

// Short and plain: a client's id is echoed and written into every log line of its request.
const PLAIN_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

// A fresh id is this process's random UUID with its last 12 hex digits replaced by a counter:
// unique across processes (74 random bits each), unique within one (2^48 requests), and made
// without asking the random source per request (randomUUID was 4 % of a product read's CPU
// profile). Request ids name log lines; they are not secrets.
const processPrefix = randomUUID().slice(0, 24);
let issued = 0;

/** A fresh request id, shaped as a UUID (see processPrefix). */
export function freshRequestId(): string {
  issued++;
  return processPrefix + issued.toString(16).padStart(12, '0');
}

/** The client's `X-Request-Id` when it is at most 64 plain characters, else a fresh one. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && PLAIN_REQUEST_ID.test(given) ? given : freshRequestId();
}

/**
 * Fastify's `frameworkErrors`: what the router refuses before a route is matched (bad
 * percent-encoding, a path parameter over `maxParamLength`), answered in the error model. No hook
 * runs for these, so the request id and the count are added here.
 */
export function frameworkErrorHandler(metrics: Metrics) {
  return (error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void => {
    const message =
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? 'A path parameter is too long'
        : error.code === 'FST_ERR_BAD_URL'
          ? 'The URL is not valid (bad percent-encoding)'
          : 'The request could not be routed';
    const body: ErrorBody = { code: 'VALIDATION_ERROR', message };
    metrics.httpRequests.inc({ method: request.method, route: 'unmatched', status: '400' });
    void reply.code(400).header('x-request-id', request.id).send(body);
  };
}

type ClientError = Error & { code?: string };

function classify(err: ClientError): { code: ErrorCode; message: string } {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'REQUEST_TIMEOUT', message: 'The request did not arrive in time' };
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'VALIDATION_ERROR', message: 'Request headers are too large' };
    default:
      return { code: 'VALIDATION_ERROR', message: 'Malformed HTTP request' };
  }
}

/**
 * The HTTP server's `clientError`: requests Node's parser refuses (malformed framing, over-large
 * headers) or gives up on (the request time limit) never reach Fastify, so they are answered here
 * in the error model, with a fresh request id, counted, and the connection closed.
 */
export function clientErrorHandler(metrics: Metrics, log: () => FastifyBaseLogger): (err: ClientError, socket: Socket) => void {
  return (err, socket) => {
    // A reset connection has no one left to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const { code, message } = classify(err);
    const status = ERROR_STATUS[code];
    const id = freshRequestId();
    metrics.httpRequests.inc({ method: 'UNPARSED', route: 'unmatched', status: String(status) });
    log().debug({ reqId: id, code: err.code }, 'refused before parsing: %s', message);
    // A response already under way on this connection cannot be replaced by another.
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const body = JSON.stringify({ code, message } satisfies ErrorBody);
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${id}\r\nconnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}
