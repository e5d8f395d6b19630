import type { FastifyServerOptions } from 'fastify';
import { redactSecrets } from '../shared/redact.js';

interface LoggedError {
  [key: string]: unknown;
  type: string;
  message: string;
  stack: string;
}

function serializeError(err: Error & { code?: unknown }): LoggedError {
  return {
    type: err.name,
    message: redactSecrets(err.message),
    stack: redactSecrets(err.stack ?? ''),
    ...(err.code === undefined ? {} : { code: err.code }),
  };
}

/** Pino options of the process: no credential reaches a log line, whether in a header, an error or a message. */
export function loggerOptions(level: string): NonNullable<Exclude<FastifyServerOptions['logger'], boolean>> {
  return {
    level,
    redact: ['req.headers.authorization', 'req.headers.cookie'],
    serializers: { err: serializeError },
    hooks: {
      logMethod(args, method) {
        for (let i = 0; i < args.length; i++) {
          const a: unknown = args[i];
          if (typeof a === 'string') args[i] = redactSecrets(a);
        }
        return method.apply(this, args as Parameters<typeof method>);
      },
    },
  };
}
