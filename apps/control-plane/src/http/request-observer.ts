import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { type ControlPlaneMetrics } from '@switchyard/telemetry';
import { actorOf } from '../auth/actor';
import { type Logger } from '../logging/logger';

/** Probes and scrapes arrive every few seconds; their log lines are debug, not info. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Express middleware, first in the chain: gives each request an id (`X-Request-Id`, kept when the
 * caller sent a sane one), and when the response is finished writes one log line and the HTTP
 * metrics, labelled with the route template rather than the raw URL.
 */
export function requestObserver(log: Logger, metrics: ControlPlaneMetrics) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const given = request.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    response.setHeader('X-Request-Id', requestId);
    response.on('finish', () => {
      const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeTemplate(request);
      metrics.observeHttpRequest({ method: request.method, route, status: response.statusCode, durationSeconds });
      const actor = actorOf(request);
      const line = {
        requestId,
        method: request.method,
        path: request.originalUrl.split('?')[0],
        route,
        status: response.statusCode,
        durationMs: Math.round(durationSeconds * 1e6) / 1e3,
        actor: actor ? `${actor.tokenName}:${actor.tokenId}` : undefined,
        remoteAddress: request.socket.remoteAddress,
      };
      if (route && QUIET_ROUTES.has(route)) log.debug(line, 'request');
      else log.info(line, 'request');
    });
    next();
  };
}

/** Express sets `req.route` on the matched route; static files and 404s have none. */
function routeTemplate(request: Request): string | undefined {
  const route = (request as Request & { route?: { path?: unknown } }).route;
  if (route && typeof route.path === 'string') return route.path;
  const marked = (request as Request & { routeTemplate?: string }).routeTemplate;
  return marked;
}

/** Marks requests served by plain middleware (e.g. static docs assets) with a fixed route label. */
export function markRoute(template: string) {
  return (request: Request, _response: Response, next: NextFunction): void => {
    (request as Request & { routeTemplate?: string }).routeTemplate = template;
    next();
  };
}
