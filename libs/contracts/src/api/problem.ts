/**
 * RFC 9457 problem details, the body of every error answer of the REST API
 * (`Content-Type: application/problem+json`). Each kind of error has a stable `type` URI.
 */
import { z } from 'zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const PROBLEM_TYPE_BASE = 'https://switchyard.io/problems/';

/** The kinds of error the API answers with, their HTTP status and their human title. */
export const PROBLEM_KINDS = {
  'malformed-request': { status: 400, title: 'Malformed request' },
  'invalid-parameters': { status: 400, title: 'Invalid parameters' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Insufficient role' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'validation-failed': { status: 422, title: 'Validation failed' },
  'invalid-topology': { status: 422, title: 'Invalid topology' },
  'internal-error': { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

export function problemTypeUri(kind: ProblemKind): string {
  return PROBLEM_TYPE_BASE + kind;
}

/** Where a field problem was found: the request body, the query string or the URL path. */
export const FIELD_LOCATIONS = ['body', 'query', 'path', 'header'] as const;
export type FieldLocation = (typeof FIELD_LOCATIONS)[number];

export const fieldProblemSchema = z.object({
  /** Dotted path of the field, e.g. `halls[1].rows[3].racks[0].capacityWatts` or `limit`. */
  path: z.string(),
  message: z.string(),
  in: z.enum(FIELD_LOCATIONS).optional(),
});
export type FieldProblem = z.infer<typeof fieldProblemSchema>;

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string().optional(),
    /** The request path that produced the problem. */
    instance: z.string().optional(),
    /** Every field that failed validation, not only the first. */
    errors: z.array(fieldProblemSchema).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });
export type Problem = z.infer<typeof problemSchema>;
