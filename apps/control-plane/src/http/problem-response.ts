import { HttpException } from '@nestjs/common';
import {
  TopologyValidationError,
  PROBLEM_KINDS,
  problemTypeUri,
  type Problem,
  type ProblemKind,
} from '@switchyard/contracts';
import { ProblemError } from './problem-error';

export interface ProblemAnswer {
  problem: Problem;
  headers: Record<string, string>;
  /** True when the error is a fault of the server, to be logged with its stack. */
  serverFault: boolean;
}

/**
 * Turns anything thrown while handling a request into the problem the client sees. Only
 * ProblemErrors and known client errors carry their message to the client; anything else is a
 * 500 whose details stay in the log.
 */
export function problemFor(
  error: unknown,
  instance: string,
  translators: readonly ErrorTranslator[] = [],
): ProblemAnswer {
  for (const translate of translators) {
    const translated = translate(error);
    if (translated) return answer(translated, instance);
  }
  if (error instanceof ProblemError) return answer(error, instance);
  if (error instanceof TopologyValidationError) {
    const errors = error.problems.map((p) => ({ path: p.path, message: p.message, in: 'body' as const }));
    const count = errors.length;
    return answer(
      new ProblemError(
        'invalid-topology',
        `The topology has ${count} problem${count === 1 ? '' : 's'}; nothing was written.`,
        errors,
      ),
      instance,
    );
  }
  if (error instanceof HttpException) return answer(fromHttpException(error), instance);
  return {
    ...answer(new ProblemError('internal-error', 'The server failed to handle the request.'), instance),
    serverFault: true,
  };
}

/** Maps an error of a lower layer (e.g. the inventory's typed errors) to a problem, or declines. */
export type ErrorTranslator = (error: unknown) => ProblemError | undefined;

function answer(error: ProblemError, instance: string): ProblemAnswer {
  const { status, title } = PROBLEM_KINDS[error.kind];
  const problem: Problem = {
    type: problemTypeUri(error.kind),
    title,
    status,
    ...(error.detail ? { detail: error.detail } : {}),
    instance,
    ...(error.errors && error.errors.length > 0 ? { errors: error.errors } : {}),
  };
  return { problem, headers: error.headers, serverFault: status >= 500 };
}

interface BodyParserFailure {
  type?: string;
  limit?: number;
  charset?: string;
  encoding?: string;
}

/** Nest and Express (body reading, routing) signal client errors as HttpExceptions; JSON parse errors are json-body's. */
function fromHttpException(error: HttpException): ProblemError {
  const status = error.getStatus();
  const cause = (error.cause ?? {}) as BodyParserFailure;
  switch (cause.type) {
    case 'entity.too.large':
      return new ProblemError(
        'payload-too-large',
        `The request body exceeds the limit of ${cause.limit ?? 'this route'} bytes.`,
      );
    case 'charset.unsupported':
      return new ProblemError('unsupported-media-type', `Unsupported charset "${cause.charset}"; send UTF-8.`);
    case 'encoding.unsupported':
      return new ProblemError('unsupported-media-type', `Unsupported content encoding "${cause.encoding}".`);
  }
  const kind = KIND_BY_STATUS.get(status);
  if (kind === 'not-found') return new ProblemError('not-found', 'No such route.');
  if (kind) return new ProblemError(kind, typeof error.message === 'string' ? error.message : undefined);
  return new ProblemError(
    status >= 500 ? 'internal-error' : 'malformed-request',
    status >= 500 ? undefined : error.message,
  );
}

const KIND_BY_STATUS = new Map<number, ProblemKind>(
  (Object.entries(PROBLEM_KINDS) as [ProblemKind, { status: number }][])
    .filter(([kind]) => !['invalid-parameters', 'invalid-topology', 'internal-error', 'unavailable'].includes(kind))
    .map(([kind, { status }]) => [status, kind]),
);
