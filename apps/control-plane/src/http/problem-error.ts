import { PROBLEM_KINDS, type FieldProblem, type ProblemKind } from '@switchyard/contracts';

/** An error the API answers as a problem of a known kind; thrown anywhere in request handling. */
export class ProblemError extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly detail?: string,
    readonly errors?: FieldProblem[],
    /** Extra response headers, such as `WWW-Authenticate` on a 401. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? PROBLEM_KINDS[kind].title);
    this.name = 'ProblemError';
  }

  get status(): number {
    return PROBLEM_KINDS[this.kind].status;
  }
}
