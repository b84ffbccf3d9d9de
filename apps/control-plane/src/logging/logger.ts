import { type LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import { type LogLevel } from '../config/control-plane-config';

export type { Logger } from 'pino';

/** Injection token of the process's root pino logger; classes take a child named after themselves. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * Synchronous writes by default: log lines keep their order with the start-up lines printed to
 * stdout, and none are lost when the process exits after a signal.
 */
export function createRootLogger(
  level: LogLevel,
  destination: DestinationStream = pino.destination({ dest: 1, sync: true }),
): Logger {
  return pino(
    {
      level,
      base: { service: 'switchyard-control-plane' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Never log credentials, even if a request object slips into a log call.
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'token', 'adminToken'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** One logger per class: the class name becomes the `component` field of each line. */
export function loggerFor(root: Logger, owner: string | { name: string }): Logger {
  return root.child({ component: typeof owner === 'string' ? owner : owner.name });
}

/** Nest reports every module and route it sets up; useful when debugging, noise otherwise. */
const ROUTINE_NEST_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

/** Routes Nest's own messages (bootstrap, route mapping, uncaught errors) into the JSON log. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  log(message: unknown, context?: string): void {
    this.write(context && ROUTINE_NEST_CONTEXTS.has(context) ? 'debug' : 'info', message, context);
  }
  error(message: unknown, traceOrContext?: string, context?: string): void {
    const stackGiven = context !== undefined;
    this.write('error', message, stackGiven ? context : traceOrContext, stackGiven ? traceOrContext : undefined);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace',
    message: unknown,
    context?: string,
    stack?: string,
  ) {
    const logger = this.root.child({ component: context ?? 'Nest' });
    if (message instanceof Error) logger[level]({ err: message }, message.message);
    else if (typeof message === 'string') logger[level](stack ? { stack } : {}, message);
    else logger[level]({ detail: message }, 'nest');
  }
}
