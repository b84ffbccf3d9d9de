import { problemSchema } from '@switchyard/contracts';
import { snapshotDatabase } from './support/db-snapshot';
import { openHttpTestApp, type HttpTestApp } from './support/http-test-app';

let t: HttpTestApp;
beforeAll(async () => {
  t = await openHttpTestApp();
});
afterAll(() => t.close());

function expectProblem(
  res: { status: number; headers: Record<string, string>; body: unknown },
  status: number,
  kind: string,
) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = problemSchema.parse(res.body);
  expect(problem).toMatchObject({ status, type: `https://switchyard.io/problems/${kind}` });
  expect(JSON.stringify(problem)).not.toMatch(/\bat .*\.(js|ts):\d+/); // no stack traces
  return problem;
}

describe('malformed, oversized and ill-typed requests', () => {
  let before: Awaited<ReturnType<typeof snapshotDatabase>>;
  beforeAll(async () => {
    before = await snapshotDatabase(t.db.database);
  });
  afterAll(async () => {
    // Nothing in this block may have written anything.
    expect(await snapshotDatabase(t.db.database)).toEqual(before);
  });

  it('malformed JSON is a 400 naming the body', async () => {
    const res = await t.http
      .post('/api/v1/tenants')
      .set(t.auth('admin'))
      .set('Content-Type', 'application/json')
      .send('{"name": "x",');
    expect(expectProblem(res, 400, 'malformed-request').errors).toEqual([
      { path: '(body)', message: 'is not valid JSON', in: 'body' },
    ]);
  });

  it('a JSON scalar where an object is expected is a 400', async () => {
    const res = await t.http
      .post('/api/v1/tenants')
      .set(t.auth('admin'))
      .set('Content-Type', 'application/json')
      .send('"tenant"');
    expectProblem(res, 400, 'malformed-request');
  });

  it('an array body is a 422 naming the body', async () => {
    const res = await t.http
      .post('/api/v1/tenants')
      .set(t.auth('admin'))
      .send([{ name: 'x' }]);
    expect(expectProblem(res, 422, 'validation-failed').errors![0].path).toBe('(body)');
  });

  it('a missing body is a 422', async () => {
    const res = await t.http.post('/api/v1/tenants').set(t.auth('admin'));
    expect(expectProblem(res, 422, 'validation-failed').errors).toEqual([
      { path: '(body)', message: 'is required', in: 'body' },
    ]);
  });

  it('a body that is not JSON is a 415', async () => {
    const form = await t.http.post('/api/v1/tenants').set(t.auth('admin')).type('form').send({ name: 'x' });
    expectProblem(form, 415, 'unsupported-media-type');
    const text = await t.http
      .post('/api/v1/tenants')
      .set(t.auth('admin'))
      .set('Content-Type', 'text/plain')
      .send('name=x');
    expectProblem(text, 415, 'unsupported-media-type');
  });

  it('a body over 1 MiB on an ordinary route is a 413', async () => {
    const res = await t.http
      .post('/api/v1/tenants')
      .set(t.auth('admin'))
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }));
    expect(expectProblem(res, 413, 'payload-too-large').detail).toContain('1048576');
  });

  it('an unsupported charset is a 415', async () => {
    const res = await t.http
      .post('/api/v1/tenants')
      .set(t.auth('admin'))
      .set('Content-Type', 'application/json; charset=latin-9')
      .send('{"name":"x"}');
    expectProblem(res, 415, 'unsupported-media-type');
  });

  it('unknown fields and wrong types are named one by one', async () => {
    const res = await t.http
      .post('/api/v1/model-profiles')
      .set(t.auth('admin'))
      .send({
        name: 'vlm',
        gpusPerReplica: '2',
        gpuMemoryMiB: 1.5,
        predictedWattsPerGpu: 600,
        allowedProducts: [7],
        turbo: true,
      });
    const problem = expectProblem(res, 422, 'validation-failed');
    expect(problem.errors!.map((e) => e.path).sort()).toEqual([
      'allowedProducts[0]',
      'gpuMemoryMiB',
      'gpusPerReplica',
      'turbo',
    ]);
    expect(problem.errors!.find((e) => e.path === 'turbo')).toEqual({
      path: 'turbo',
      message: 'is not a known field',
      in: 'body',
    });
  });

  it('bad path parameters are a 400 naming the parameter', async () => {
    const res = await t.http.get('/api/v1/tenants/not-a-uuid').set(t.auth('viewer'));
    expect(expectProblem(res, 400, 'invalid-parameters').errors).toEqual([
      { path: 'id', message: 'must be a UUID', in: 'path' },
    ]);
  });

  it.each([
    ['/api/v1/tenants?limit=0', 'limit'],
    ['/api/v1/tenants?limit=abc', 'limit'],
    ['/api/v1/tenants?limit=1001', 'limit'],
    ['/api/v1/tenants?limit=1&limit=2', 'limit'],
    ['/api/v1/tenants?colour=blue', 'colour'],
    ['/api/v1/nodes?health=sick', 'health'],
    ['/api/v1/nodes?scopeId=rack-1', 'scopeId'],
    ['/api/v1/gpus?available=yes', 'available'],
    ['/api/v1/audit-events?since=yesterday', 'since'],
    ['/api/v1/budget-overrides?state=paused', 'state'],
  ])('%s is a 400 naming %s', async (url, field) => {
    const res = await t.http.get(url).set(t.auth('viewer'));
    const problem = expectProblem(res, 400, 'invalid-parameters');
    expect(problem.errors!.map((e) => e.path)).toEqual([field]);
    expect(problem.errors![0].in).toBe('query');
  });

  it('a time range with since after until is a 400 naming until', async () => {
    const res = await t.http
      .get('/api/v1/audit-events?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z')
      .set(t.auth('viewer'));
    expect(expectProblem(res, 400, 'invalid-parameters').errors).toEqual([
      { path: 'until', message: 'must be after since', in: 'query' },
    ]);
  });

  it('an unknown method on a known path is a 405 problem with Allow, not an HTML page', async () => {
    const res = await t.http.post('/api/v1/scopes').set(t.auth('admin')).send({});
    expectProblem(res, 405, 'method-not-allowed');
    expect(res.headers['allow']).toBe('GET, HEAD');
  });

  it('a malformed percent-encoding in the path is a 400 problem', async () => {
    const res = await t.http.get('/api/v1/tenants/%E0%A4%A').set(t.auth('viewer'));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
