import { type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ProblemError } from '../http/problem-error';
import { routeSpecOf } from '../http/endpoint';
import { type RouteSpec } from '../http/route-spec';
import { type Actor, actorOf, attachActor, roleAtLeast } from './actor';

/** Resolves a presented bearer secret to the token's actor; undefined when unknown or revoked. */
export interface TokenAuthenticator {
  authenticate(secret: string): Promise<Actor | undefined>;
}

const CHALLENGE = 'Bearer realm="switchyard"';

/**
 * A route is open only if its RouteSpec says `public`; every other route (and a handler without
 * a spec, failing closed) needs `Authorization: Bearer <token>` with a role at least the route's.
 * 401 when the token is missing, unknown or revoked; 403 when its role is too low. The actor is
 * attached to the request for the handler and the audit log.
 */
export async function authorizeRequest(
  spec: RouteSpec | undefined,
  request: Request,
  tokens: TokenAuthenticator,
): Promise<void> {
  const required = spec?.access ?? 'admin';
  if (required === 'public') return;
  let actor = actorOf(request);
  if (!actor) {
    const header = request.headers.authorization;
    if (!header) {
      throw new ProblemError('unauthorized', 'Send an API token as "Authorization: Bearer <token>".', undefined, {
        'WWW-Authenticate': CHALLENGE,
      });
    }
    const match = /^Bearer +([\x21-\x7e]{1,512}) *$/i.exec(header);
    actor = match ? await tokens.authenticate(match[1]) : undefined;
    if (!actor) {
      throw new ProblemError('unauthorized', 'The API token is malformed, unknown or revoked.', undefined, {
        'WWW-Authenticate': `${CHALLENGE}, error="invalid_token"`,
      });
    }
    attachActor(request, actor);
  }
  if (!roleAtLeast(actor.role, required)) {
    throw new ProblemError('forbidden', `This operation needs the ${required} role; the token has ${actor.role}.`);
  }
}

/** Global guard: authorizes every route by its RouteSpec. */
export class BearerAuthGuard implements CanActivate {
  constructor(private readonly tokens: TokenAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await authorizeRequest(
      routeSpecOf(context.getHandler()),
      context.switchToHttp().getRequest<Request>(),
      this.tokens,
    );
    return true;
  }
}

/**
 * Express middleware for routes that accept large bodies (topology import): authorizes before
 * the body is read, so that an anonymous client cannot make the server buffer 64 MB.
 */
export function authorizeBeforeBody(spec: RouteSpec, tokens: TokenAuthenticator) {
  return (request: Request, _response: Response, next: NextFunction): void => {
    if (request.method !== spec.method) return next();
    authorizeRequest(spec, request, tokens).then(() => next(), next);
  };
}
