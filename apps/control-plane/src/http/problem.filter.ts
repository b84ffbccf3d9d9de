import { type ArgumentsHost, Catch, type ExceptionFilter, NotFoundException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PROBLEM_CONTENT_TYPE } from '@switchyard/contracts';
import { type Logger } from '../logging/logger';
import { allowedMethods } from './allowed-methods';
import { ProblemError } from './problem-error';
import { type ErrorTranslator, problemFor } from './problem-response';

/** Answers every error of every route as `application/problem+json`; logs server faults only. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(
    private readonly log: Logger,
    private readonly translators: readonly ErrorTranslator[],
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const instance = request.originalUrl?.split('?')[0] ?? request.url;
    const { problem, headers, serverFault } = problemFor(methodNotAllowed(error, request), instance, this.translators);
    if (serverFault) this.log.error({ err: error, method: request.method, url: instance }, 'request failed');
    if (response.headersSent) {
      response.end();
      return;
    }
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }
}

/**
 * A request no route matched is a 404 only when no route has its path; when routes have the path
 * but not the method, it is a 405 that lists the methods in `Allow` (RFC 9110, 15.5.6).
 */
function methodNotAllowed(error: unknown, request: Request): unknown {
  const routed = (request as Request & { route?: unknown }).route !== undefined;
  if (!(error instanceof NotFoundException) || routed) return error;
  const allow = allowedMethods(request);
  if (allow.length === 0) return error;
  return new ProblemError(
    'method-not-allowed',
    `${request.method} is not allowed on ${request.path}; allowed: ${allow.join(', ')}.`,
    undefined,
    { Allow: allow.join(', ') },
  );
}
