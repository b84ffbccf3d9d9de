import {
  HttpCode,
  RequestMethod,
  RequestMapping,
  SetMetadata,
  applyDecorators,
  createParamDecorator,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request } from 'express';
import { validateRequest } from './request-validation';
import { type HttpMethod, type RouteSpec } from './route-spec';

const ROUTE_SPEC = Symbol('switchyard:route-spec');

const REQUEST_METHODS: Record<HttpMethod, RequestMethod> = {
  GET: RequestMethod.GET,
  POST: RequestMethod.POST,
  PUT: RequestMethod.PUT,
  PATCH: RequestMethod.PATCH,
  DELETE: RequestMethod.DELETE,
};

/** Binds a controller method to its RouteSpec: the path, method, success status and the spec itself. */
export function Endpoint(spec: RouteSpec): MethodDecorator {
  return applyDecorators(
    RequestMapping({ path: spec.path, method: REQUEST_METHODS[spec.method] }),
    HttpCode(spec.success.status),
    SetMetadata(ROUTE_SPEC, spec),
  );
}

/** The RouteSpec a handler is bound to, or undefined for a handler that has none. */
export function routeSpecOf(handler: object): RouteSpec | undefined {
  return Reflect.getMetadata(ROUTE_SPEC, handler) as RouteSpec | undefined;
}

/** Every RouteSpec bound to a controller class's methods, in declaration order. */
export function routeSpecsOf(controller: abstract new (...args: never[]) => unknown): RouteSpec[] {
  const prototype = controller.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(prototype)
    .map((name) => (typeof prototype[name] === 'function' ? routeSpecOf(prototype[name] as object) : undefined))
    .filter((spec): spec is RouteSpec => spec !== undefined);
}

/**
 * The handler's validated input (`RouteInput<typeof spec>`): params, query and body checked
 * against the spec that `@Endpoint` bound to the same handler.
 */
export const Input = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const spec = routeSpecOf(context.getHandler());
  if (!spec)
    throw new Error(`@Input() used on ${context.getClass().name}.${context.getHandler().name} without @Endpoint`);
  return validateRequest(spec, context.switchToHttp().getRequest<Request>());
});

/** A 201 answer: the created resource and its URL, sent as the Location header. */
export class Created<T> {
  constructor(
    readonly location: string,
    readonly body: T,
  ) {}
}
