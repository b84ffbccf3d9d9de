import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PROBLEM_CONTENT_TYPE } from '@switchyard/contracts';
import { type Logger } from '../logging/logger';
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
    const { problem, headers, serverFault } = problemFor(error, instance, this.translators);
    if (serverFault) this.log.error({ err: error, method: request.method, url: instance }, 'request failed');
    if (response.headersSent) {
      response.end();
      return;
    }
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }
}
