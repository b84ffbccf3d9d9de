import { ROLES, problemSchema, type Role } from '@switchyard/contracts';
import { apiRoutes } from '../../apps/control-plane/src/control-plane.module';
import { type RouteSpec } from '../../apps/control-plane/src/http/route-spec';
import { openHttpTestApp, type HttpTestApp } from './support/http-test-app';

let t: HttpTestApp;
beforeAll(async () => {
  t = await openHttpTestApp();
});
afterAll(() => t.close());

const ABSENT_ID = '0b9a7c7e-2f4c-4d8e-9a51-3f0e6b1c2d3e';

/** A concrete URL for a route template: ids that exist nowhere, so no call changes anything. */
function urlOf(route: RouteSpec): string {
  return route.path.replace(':id', ABSENT_ID).replace(':name', 'no-such-node');
}

function call(route: RouteSpec, headers: Record<string, string> = {}) {
  const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
  const req = t.http[method](urlOf(route)).set(headers);
  return route.body ? req.send({}) : req;
}

const routes = apiRoutes();
const protectedRoutes = routes.filter((r) => r.access !== 'public');
const label = (r: RouteSpec) => `${r.method} ${r.path}`;

describe('which routes are open', () => {
  it('only operational endpoints and the API description are public', () => {
    expect(
      routes
        .filter((r) => r.access === 'public')
        .map((r) => r.path)
        .sort(),
    ).toEqual(['/docs', '/healthz', '/metrics', '/openapi.json', '/readyz'].sort());
    expect(protectedRoutes.every((r) => r.path.startsWith('/api/v1/'))).toBe(true);
  });

  it.each(routes.filter((r) => r.access === 'public').map((r) => [label(r), r] as const))(
    '%s answers without a token',
    async (_l, route) => {
      const res = await call(route);
      expect(res.status).toBe(200);
    },
  );
});

describe.each(protectedRoutes.map((r) => [label(r), r] as const))('%s', (_l, route) => {
  const required = route.access as Role;

  it('401 with a Bearer challenge without a token', async () => {
    const res = await call(route);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="switchyard"');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(problemSchema.parse(res.body)).toMatchObject({
      status: 401,
      type: 'https://switchyard.io/problems/unauthorized',
    });
  });

  it.each([
    ['an unknown token', 'Bearer sy_notarealtokenatallnotarealtokenatallnotareal'],
    ['a revoked token', 'REVOKED'],
    ['another scheme', 'Basic YWRtaW46YWRtaW4='],
    ['an empty bearer', 'Bearer '],
  ])('401 with %s', async (_what, header) => {
    const value = header === 'REVOKED' ? `Bearer ${t.tokens.revoked.secret}` : header;
    const res = await call(route, { Authorization: value });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('Bearer realm="switchyard"');
    expect(problemSchema.parse(res.body).status).toBe(401);
  });

  it.each(ROLES.map((role) => [role] as const))('role %s', async (role) => {
    const res = await call(route, t.auth(role));
    if (ROLES.indexOf(role) < ROLES.indexOf(required)) {
      expect(res.status).toBe(403);
      expect(problemSchema.parse(res.body)).toMatchObject({
        type: 'https://switchyard.io/problems/forbidden',
        detail: expect.stringContaining(`needs the ${required} role`),
      });
    } else {
      expect([401, 403]).not.toContain(res.status);
      // 503 only from the scheduling API, which needs the Kubernetes runtime this app runs without.
      if (res.status >= 500)
        expect(problemSchema.parse(res.body)).toMatchObject({
          status: 503,
          type: 'https://switchyard.io/problems/unavailable',
        });
    }
  });
});
