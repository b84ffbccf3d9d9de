import { BadRequestException, HttpException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { ConflictError, ConstraintViolationError, InvalidCursorError, NotFoundError } from '@switchyard/inventory';
import { TopologyValidationError } from '@switchyard/contracts';
import { inventoryProblem } from './inventory-problems';
import { ProblemError } from './problem-error';
import { problemFor } from './problem-response';

const at = '/api/v1/x';

describe('problemFor', () => {
  it('hides the details of unexpected errors behind a generic 500', () => {
    const answer = problemFor(new Error('password authentication failed for user "switchyard"'), at);
    expect(answer.serverFault).toBe(true);
    expect(answer.problem).toEqual({
      type: 'https://switchyard.io/problems/internal-error',
      title: 'Internal error',
      status: 500,
      detail: 'The server failed to handle the request.',
      instance: at,
    });
  });

  it('keeps a ProblemError as it is, with its headers', () => {
    const answer = problemFor(
      new ProblemError('unauthorized', 'no token', undefined, { 'WWW-Authenticate': 'Bearer' }),
      at,
    );
    expect(answer).toEqual({
      problem: {
        type: 'https://switchyard.io/problems/unauthorized',
        title: 'Authentication required',
        status: 401,
        detail: 'no token',
        instance: at,
      },
      headers: { 'WWW-Authenticate': 'Bearer' },
      serverFault: false,
    });
  });

  it('lists every topology problem by path', () => {
    const error = new TopologyValidationError([
      { path: 'halls[1].rows[3].racks[0].capacityWatts', message: 'must be > 0' },
      { path: 'nodes[7].rack', message: 'no rack named "r9"' },
    ]);
    expect(problemFor(error, at).problem).toMatchObject({
      status: 422,
      type: 'https://switchyard.io/problems/invalid-topology',
      detail: 'The topology has 2 problems; nothing was written.',
      errors: [
        { path: 'halls[1].rows[3].racks[0].capacityWatts', message: 'must be > 0', in: 'body' },
        { path: 'nodes[7].rack', message: 'no rack named "r9"', in: 'body' },
      ],
    });
  });

  it.each([
    [new NotFoundException('Cannot GET /nope'), 404, 'not-found'],
    [new BadRequestException('Unexpected token', { cause: { type: 'entity.parse.failed' } }), 400, 'malformed-request'],
    [
      new PayloadTooLargeException('too large', { cause: { type: 'entity.too.large', limit: 1048576 } }),
      413,
      'payload-too-large',
    ],
    [
      new HttpException('unsupported charset', 415, { cause: { type: 'charset.unsupported', charset: 'latin-9' } }),
      415,
      'unsupported-media-type',
    ],
    [new HttpException('bad gateway', 502), 500, 'internal-error'],
  ])('maps Nest and Express errors: %s', (error, status, kind) => {
    expect(problemFor(error, at).problem).toMatchObject({ status, type: `https://switchyard.io/problems/${kind}` });
  });

  it.each([
    [new NotFoundError('tenant', 'abc'), 404, 'not-found', undefined],
    [
      new ConflictError('already exists (tenants_name_key)', 'already-exists', 'tenants_name_key', 'name'),
      409,
      'conflict',
      'name',
    ],
    [
      new ConstraintViolationError('must be > 0', 'scopes_capacity_watts_positive', 'capacityWatts'),
      422,
      'validation-failed',
      'capacityWatts',
    ],
    [new InvalidCursorError(), 400, 'invalid-parameters', 'cursor'],
  ])('maps the inventory typed errors: %s', (error, status, kind, field) => {
    const { problem } = problemFor(error, at, [inventoryProblem]);
    expect(problem).toMatchObject({ status, type: `https://switchyard.io/problems/${kind}` });
    if (field) expect(problem.errors).toEqual([expect.objectContaining({ path: field })]);
    else expect(problem.errors).toBeUndefined();
  });
});
