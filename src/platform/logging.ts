import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
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

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogArgs = Parameters<FastifyBaseLogger['info']>;

/**
 * A request's logger that makes its pino child (bound to the request id) only when a line is
 * written at an enabled level. Fastify asks for a child on every request, and making one costs
 * more than the rest of a request served from memory; most requests write no line (the usual
 * level logs only warnings and errors), so most never make it.
 */
class RequestLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger & { isLevelEnabled(level: string): boolean },
    private readonly bindings: Bindings,
  ) {}

  private get real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings));
  }

  private write(level: Level, args: LogArgs): void {
    if (this.made === undefined && !this.parent.isLevelEnabled(level)) return;
    const logger = this.real as unknown as Record<Level, (...a: LogArgs) => void>;
    logger[level](...args);
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }
  set level(level: string) {
    this.real.level = level;
  }
  fatal(...args: LogArgs): void {
    this.write('fatal', args);
  }
  error(...args: LogArgs): void {
    this.write('error', args);
  }
  warn(...args: LogArgs): void {
    this.write('warn', args);
  }
  info(...args: LogArgs): void {
    this.write('info', args);
  }
  debug(...args: LogArgs): void {
    this.write('debug', args);
  }
  trace(...args: LogArgs): void {
    this.write('trace', args);
  }
  silent(): void {}
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }
}

/**
 * Fastify's `childLoggerFactory`: the request's logger, made lazily (see RequestLogger). A route
 * with a log level or serializers of its own gets its pino child at once, as Fastify would make it.
 */
export function requestLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  if (options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options);
  return new RequestLogger(logger as FastifyBaseLogger & { isLevelEnabled(level: string): boolean }, bindings) as unknown as FastifyBaseLogger;
}
