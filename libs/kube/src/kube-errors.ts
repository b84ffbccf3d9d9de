/**
 * Typed errors for answers of the Kubernetes API, so callers branch on `status`/`reason`
 * instead of parsing client-node's exception text.
 */
export class KubeApiError extends Error {
  constructor(
    /** HTTP status (0 when the request never got an answer). */
    readonly status: number,
    /** The `reason` of the returned Status object, e.g. `Conflict`, `NotFound`, `Expired`. */
    readonly reason: string | undefined,
    message: string,
    /** From a `Retry-After` header (429, some 5xx), in seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }
  get isConflict(): boolean {
    return this.status === 409;
  }
  /** 410 Gone: the resource version is too old (compacted); relist. */
  get isGone(): boolean {
    return this.status === 410;
  }
  /** Worth retrying after a delay: throttling, server errors and lost connections. */
  get isTransient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** A pod was already bound to a node (409 on `pods/binding`): someone else scheduled it. */
export class PodAlreadyBoundError extends KubeApiError {
  constructor(
    readonly namespace: string,
    readonly pod: string,
    message: string,
  ) {
    super(409, 'Conflict', message);
    this.name = 'PodAlreadyBoundError';
  }
}

/** The pod to bind, annotate or evict no longer exists (404), or has another UID now. */
export class PodGoneError extends KubeApiError {
  constructor(
    readonly namespace: string,
    readonly pod: string,
    message: string,
  ) {
    super(404, 'NotFound', message);
    this.name = 'PodGoneError';
  }
}

/** An eviction was refused (429) because it would violate a PodDisruptionBudget. */
export class EvictionBlockedError extends KubeApiError {
  constructor(
    readonly namespace: string,
    readonly pod: string,
    message: string,
    retryAfterSeconds?: number,
  ) {
    super(429, 'TooManyRequests', message, retryAfterSeconds);
    this.name = 'EvictionBlockedError';
  }
}

interface StatusBody {
  message?: string;
  reason?: string;
  code?: number;
}

function parseStatusBody(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      return parseStatusBody(JSON.parse(body));
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  if (typeof body === 'object' && body !== null) return body as StatusBody;
  return {};
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const v = (headers as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
}

/**
 * Turns anything a client-node call or a raw request threw into a KubeApiError; `action`
 * ("bind pod ns/name") goes first in the message so logs read on their own.
 */
export function toKubeApiError(err: unknown, action: string): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const e = err as { code?: unknown; statusCode?: unknown; body?: unknown; headers?: unknown; message?: unknown };
  const status = typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : 0;
  if (status === 0) {
    const msg = typeof e?.message === 'string' ? e.message : String(err);
    return new KubeApiError(0, undefined, `${action}: ${msg}`);
  }
  const body = parseStatusBody(e.body);
  const retryAfter = Number(headerValue(e.headers, 'retry-after'));
  return new KubeApiError(
    status,
    body.reason,
    `${action}: ${status}${body.reason ? ` ${body.reason}` : ''}${body.message ? `: ${body.message}` : ''}`,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}
