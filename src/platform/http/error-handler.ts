import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify';
import { isDatabaseUnavailable, PgCode, pgCode } from '../db/pg-errors.js';
import { OncePerInterval } from '../../shared/once-per-interval.js';
import { AppError, type ErrorBody } from './errors.js';
import { trackRouteMethods } from './route-methods.js';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/**
 * The one place where failures become HTTP answers; below 500 the message is shown, above it never.
 * `notFound.onResponse` runs after each answer of the not-found handler (the metrics' count).
 */
export function installErrorHandling(app: FastifyInstance, notFound: { onResponse: onResponseHookHandler }): void {
  const unavailable = new OncePerInterval(10_000);
  // The handlers below send and return nothing: a handler that returns the reply hands Fastify a
  // thenable, and Fastify then waits for the response to finish through stream listeners of its
  // own (`reply.then`), a few µs per answer while answer coalescing holds it (decisions.md).
  const answerError = (err: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    if (err instanceof AppError) {
      if (err.statusCode === 500) request.log.error({ err }, 'request failed');
      // Protective answers tell the client when to come back.
      if ((err.code === 'SERVICE_UNAVAILABLE' || err.code === 'RATE_LIMITED') && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
      reply.code(err.statusCode).send(err.toBody());
      return;
    }
    if (isDatabaseUnavailable(err)) {
      // Nothing was done (no connection, or its transaction died with it); one line per interval, no stack.
      const n = unavailable.hit();
      if (n !== undefined) request.log.warn({ cause: String(err.message) }, `database unreachable: ${n} request(s) answered 503 since the last report`);
      const body: ErrorBody = { code: 'SERVICE_UNAVAILABLE', message: 'The service is temporarily unavailable; retry later' };
      reply.code(503).header('retry-after', '1').send(body);
      return;
    }
    if (err.validation) {
      const part = err.validationContext ?? 'request';
      const issues = (err.validation as ValidationIssue[]).map((v) => {
        const field = `${part}${v.instancePath ? v.instancePath.replaceAll('/', '.') : ''}`;
        // An unknown field is named, so the client knows what to drop.
        const unknown = v.params?.['additionalProperty'];
        if (typeof unknown === 'string') return { field: `${field}.${unknown}`, message: 'is not a known field' };
        return {
          field,
          message: v.message ?? 'is invalid',
          ...(v.params && 'missingProperty' in v.params ? { missing: v.params['missingProperty'] } : {}),
        };
      });
      const unknownFields = issues.filter((i) => i.message === 'is not a known field').map((i) => i.field);
      const message = unknownFields.length > 0 ? `Unknown field(s): ${unknownFields.join(', ')}` : err.message;
      const body: ErrorBody = { code: 'VALIDATION_ERROR', message, details: { issues } };
      reply.code(400).send(body);
      return;
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed or empty JSON, wrong content type, body too large.
      const body: ErrorBody = { code: 'VALIDATION_ERROR', message: clientMessage(err) };
      reply.code(400).send(body);
      return;
    }
    const sqlState = pgCode(err);
    if (sqlState === PgCode.characterNotInRepertoire || sqlState === PgCode.untranslatableCharacter) {
      // Text the database cannot store (a stray byte sequence the schema let through) is bad input.
      const body: ErrorBody = { code: 'VALIDATION_ERROR', message: 'Text contains characters that cannot be stored' };
      reply.code(400).send(body);
      return;
    }
    request.log.error({ err }, 'unexpected failure');
    const body: ErrorBody = { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' };
    reply.code(500).send(body);
  };
  app.setErrorHandler(answerError);

  const allowedMethods = trackRouteMethods(app);
  app.setNotFoundHandler({ onResponse: notFound.onResponse } as Parameters<FastifyInstance['setNotFoundHandler']>[0], (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = allowedMethods(path);
    if (allowed.length > 0) {
      const body: ErrorBody = { code: 'METHOD_NOT_ALLOWED', message: `${path} answers ${allowed.join(', ')}, not ${request.method}` };
      reply.code(405).header('allow', allowed.join(', ')).send(body);
      return;
    }
    const body: ErrorBody = { code: 'NOT_FOUND', message: `Route ${request.method} ${path} not found` };
    reply.code(404).send(body);
  });
}

function clientMessage(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Content-Type must be application/json';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'Request body is too large';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'Request body is empty but Content-Type is application/json';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'Request body is not valid JSON';
    default:
      return err.message;
  }
}
