import { type z } from 'zod';
import { type Role } from '@switchyard/contracts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Who may call a route: anyone, or a bearer token with at least this role. */
export type Access = 'public' | Role;

/**
 * One REST operation, described once: the controller is bound to it (`@Endpoint`), requests are
 * validated against it, the auth guard reads its access from it, and the OpenAPI document is
 * generated from it. Nothing about a route is written twice, so docs and behaviour cannot drift.
 */
export interface RouteSpec {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** Express-style path, e.g. `/api/v1/scopes/:id`. */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly access: Access;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  /** The body's schema: validates it (422 naming each field) and documents it. */
  readonly body?: z.ZodType;
  /**
   * Validates the body instead of `body` when a document needs more than a schema (YAML text,
   * cross-references); throws a typed error listing every problem. `body` still documents it.
   */
  readonly parseBody?: (raw: unknown) => unknown;
  /** Media types the body may have; default `application/json`. */
  readonly bodyMediaTypes?: readonly string[];
  /** Largest accepted body for this route; default DEFAULT_BODY_LIMIT_BYTES. */
  readonly bodyLimitBytes?: number;
  readonly success: {
    readonly status: 200 | 201 | 202 | 204;
    readonly description: string;
    readonly schema?: z.ZodType;
    /** Default `application/json`. */
    readonly mediaType?: string;
  };
  /** Problem statuses this route can answer besides the ones every route can (400, 401, 403, 415, 500). */
  readonly problems?: readonly number[];
}

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
export const JSON_MEDIA_TYPE = 'application/json';

export function defineRoute<const S extends RouteSpec>(spec: S): S {
  return spec;
}

type Parsed<T> = T extends z.ZodType ? z.output<T> : Record<string, never>;

/** What a handler receives: the route's params, query and body, already validated and typed. */
export interface RouteInput<S extends RouteSpec> {
  params: Parsed<S['params']>;
  query: Parsed<S['query']>;
  body: S['parseBody'] extends (raw: unknown) => infer R
    ? R
    : S['body'] extends z.ZodType
      ? z.output<S['body']>
      : undefined;
}
