import type { Request } from 'express';
import { z } from 'zod';
import { formatTopologyPath as formatPath, type FieldLocation, type FieldProblem } from '@switchyard/contracts';
import { ProblemError } from './problem-error';
import { JSON_MEDIA_TYPE, type RouteInput, type RouteSpec } from './route-spec';
import { unstorableTextProblems } from './unstorable-text';

const NO_FIELDS = z.strictObject({});

/**
 * Validates a request against its route: path parameters and query (400 naming each field),
 * body media type (415) and body (422 naming each field). Unknown query parameters and body
 * fields are errors, since the DTO schemas are strict. Before any schema, every string of the
 * path, query and body (at any depth, YAML text included) must be storable text.
 */
export function validateRequest<S extends RouteSpec>(spec: S, request: Request): RouteInput<S> {
  refuseUnstorableText('invalid-parameters', [
    ...unstorableTextProblems(request.params ?? {}, 'path'),
    ...unstorableTextProblems(request.query ?? {}, 'query'),
  ]);
  const params = parse(spec.params ?? NO_FIELDS, request.params ?? {}, 'path');
  const query = parse(spec.query ?? NO_FIELDS, request.query ?? {}, 'query');
  if (!params.success || !query.success) {
    const errors = [...(params.success ? [] : params.errors), ...(query.success ? [] : query.errors)];
    throw new ProblemError('invalid-parameters', describe(errors), errors);
  }
  let body: unknown = undefined;
  if (spec.body) {
    const mediaTypes = spec.bodyMediaTypes ?? [JSON_MEDIA_TYPE];
    if (!hasBody(request)) {
      throw new ProblemError('validation-failed', `A request body (${mediaTypes.join(' or ')}) is required.`, [
        { path: '(body)', message: 'is required', in: 'body' },
      ]);
    }
    if (!request.is(mediaTypes as string[])) {
      throw new ProblemError(
        'unsupported-media-type',
        `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted here; send ${mediaTypes.join(' or ')}.`,
      );
    }
    refuseUnstorableText('validation-failed', unstorableTextProblems(request.body, 'body'));
    if (spec.parseBody) {
      body = spec.parseBody(request.body);
      // A YAML document can spell U+0000 or a lone surrogate as an escape inside its text.
      refuseUnstorableText('validation-failed', unstorableTextProblems(body, 'body'));
    } else {
      const parsed = parse(spec.body, request.body, 'body');
      if (!parsed.success) throw new ProblemError('validation-failed', describe(parsed.errors), parsed.errors);
      body = parsed.data;
    }
  }
  return { params: params.data, query: query.data, body } as RouteInput<S>;
}

/** A 400 (path, query) or 422 (body) naming every string that cannot be stored, e.g. `body.reason`. */
function refuseUnstorableText(kind: 'invalid-parameters' | 'validation-failed', errors: FieldProblem[]): void {
  if (errors.length === 0) return;
  const where = (e: FieldProblem) => (e.path.startsWith('(') ? e.path : `${e.in}.${e.path}`);
  throw new ProblemError(
    kind,
    describe(errors, (e) => `${where(e)}: ${e.message}`),
    errors,
  );
}

type Parse = { success: true; data: unknown } | { success: false; errors: FieldProblem[] };

function parse(schema: z.ZodType, value: unknown, location: FieldLocation): Parse {
  const result = schema.safeParse(value);
  if (result.success) return { success: true, data: result.data };
  // zod reports every failed check; the client needs one message per field.
  const byPath = new Map<string, FieldProblem>();
  for (const problem of result.error.issues.flatMap((issue) => fieldProblems(issue, location))) {
    if (!byPath.has(problem.path)) byPath.set(problem.path, problem);
  }
  return { success: false, errors: [...byPath.values()] };
}

/** One problem per offending field; an object with two unknown keys yields two problems. */
export function fieldProblems(issue: z.core.$ZodIssue, location: FieldLocation): FieldProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: pathOf([...issue.path, key], location),
      message: 'is not a known field',
      in: location,
    }));
  }
  return [{ path: pathOf(issue.path, location), message: messageOf(issue), in: location }];
}

function pathOf(path: readonly PropertyKey[], location: FieldLocation): string {
  return path.length === 0 ? `(${location})` : formatPath(path);
}

function messageOf(issue: z.core.$ZodIssue): string {
  // zod's default for a missing field reads "expected string, received undefined".
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return issue.message;
}

function describe(errors: FieldProblem[], line = (e: FieldProblem) => `${e.path} ${e.message}`): string {
  const shown = errors.slice(0, 3).map(line);
  return shown.join('; ') + (errors.length > 3 ? `; and ${errors.length - 3} more` : '');
}

/** RFC 9110: a request has a body when it declares a length above zero or a transfer coding. */
function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return request.headers['transfer-encoding'] !== undefined;
}
