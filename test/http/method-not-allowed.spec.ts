/**
 * A known path with a method it does not serve is a 405 with `Allow` and a problem body; an
 * unknown path stays a 404. Nothing is written either way.
 */
import { problemSchema } from '@switchyard/contracts';
import { snapshotDatabase } from './support/db-snapshot';
import { openHttpTestApp, type HttpTestApp } from './support/http-test-app';

let t: HttpTestApp;
let before: Awaited<ReturnType<typeof snapshotDatabase>>;
beforeAll(async () => {
  t = await openHttpTestApp();
  before = await snapshotDatabase(t.db.database);
});
afterAll(async () => {
  expect(await snapshotDatabase(t.db.database)).toEqual(before);
  await t.close();
});

function expect405(res: { status: number; headers: Record<string, string>; body: unknown }, allow: string) {
  expect(res.status).toBe(405);
  expect(res.headers['allow']).toBe(allow);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return problemSchema.parse(res.body);
}

describe('405 Method Not Allowed', () => {
  it('DELETE on a collection answers 405 listing its methods', async () => {
    const res = await t.http.delete('/api/v1/tenants').set(t.auth('admin'));
    expect(expect405(res, 'GET, HEAD, POST')).toEqual({
      type: 'https://switchyard.io/problems/method-not-allowed',
      title: 'Method not allowed',
      status: 405,
      detail: 'DELETE is not allowed on /api/v1/tenants; allowed: GET, HEAD, POST.',
      instance: '/api/v1/tenants',
    });
  });

  it('a path with a parameter matches its template', async () => {
    const res = await t.http.post('/api/v1/scopes/00000000-0000-4000-8000-000000000000').set(t.auth('admin'));
    expect405(res, 'GET, HEAD, PATCH');
  });

  it('open endpoints too, without a token', async () => {
    expect405(await t.http.post('/metrics'), 'GET, HEAD');
    expect405(await t.http.put('/healthz'), 'GET, HEAD');
  });

  it('with a body, the body is not read', async () => {
    const res = await t.http.put('/api/v1/tenants').set(t.auth('admin')).send({ name: 'x', gpuQuota: 1 });
    expect405(res, 'GET, HEAD, POST');
  });

  it('an unknown path is still a 404', async () => {
    const res = await t.http.delete('/api/v1/no-such-thing').set(t.auth('admin')).expect(404);
    expect(res.headers['allow']).toBeUndefined();
    expect(problemSchema.parse(res.body).type).toBe('https://switchyard.io/problems/not-found');
  });

  it('is counted under the one unmatched route label', async () => {
    const text = (await t.http.get('/metrics').expect(200)).text;
    expect(text).toContain('switchyard_http_requests_total{method="DELETE",route="unmatched",status="405"}');
  });
});
