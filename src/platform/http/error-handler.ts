import type { FastifyError, FastifyInstance } from 'fastify';
import { PgCode, pgCode } from '../db/pg-errors.js';
import { AppError, type ErrorBody } from './errors.js';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** The one place where failures become HTTP answers; below 500 the message is shown, above it never. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof AppError) {
      if (err.statusCode >= 500) request.log.error({ err }, 'request failed');
      return reply.code(err.statusCode).send(err.toBody());
    }
    if (err.validation) {
      const part = err.validationContext ?? 'request';
      const issues = (err.validation as ValidationIssue[]).map((v) => ({
        field: `${part}${v.instancePath ? v.instancePath.replaceAll('/', '.') : ''}`,
        message: v.message ?? 'is invalid',
        ...(v.params && 'missingProperty' in v.params ? { missing: v.params['missingProperty'] } : {}),
      }));
      const body: ErrorBody = { code: 'VALIDATION_ERROR', message: err.message, details: { issues } };
      return reply.code(400).send(body);
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed or empty JSON, wrong content type, body too large.
      const body: ErrorBody = { code: 'VALIDATION_ERROR', message: clientMessage(err) };
      return reply.code(400).send(body);
    }
    const sqlState = pgCode(err);
    if (sqlState === PgCode.characterNotInRepertoire || sqlState === PgCode.untranslatableCharacter) {
      // Text the database cannot store (a stray byte sequence the schema let through) is bad input.
      const body: ErrorBody = { code: 'VALIDATION_ERROR', message: 'Text contains characters that cannot be stored' };
      return reply.code(400).send(body);
    }
    request.log.error({ err }, 'unexpected failure');
    const body: ErrorBody = { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' };
    return reply.code(500).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = { code: 'NOT_FOUND', message: `Route ${request.method} ${request.url.split('?')[0]} not found` };
    return reply.code(404).send(body);
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
