import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ROLES, type Role } from '@switchyard/contracts';

/** Who made a request: the API token it carried. Audit entries name the actor by token name and id. */
export interface Actor {
  readonly tokenId: string;
  readonly tokenName: string;
  readonly role: Role;
}

/** The audit `actor` string: `token:<name>:<id>`, readable and unique even when names repeat. */
export function auditActor(actor: Actor): string {
  return `token:${actor.tokenName}:${actor.tokenId}`;
}

export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

const ACTOR = Symbol('switchyard:actor');

export function attachActor(request: Request, actor: Actor): void {
  (request as unknown as Record<symbol, Actor>)[ACTOR] = actor;
}

export function actorOf(request: Request): Actor | undefined {
  return (request as unknown as Record<symbol, Actor | undefined>)[ACTOR];
}

/** The authenticated actor of the request; only on routes that are not public. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const actor = actorOf(context.switchToHttp().getRequest<Request>());
  if (!actor) throw new Error('@CurrentActor() on a public route');
  return actor;
});
