/**
 * Property: every mutating endpoint answers any invalid request with a 4xx problem, and the
 * database is exactly as it was. Bodies are random JSON values, valid bodies with one field
 * replaced by a random value or an unknown field added, and random text that is not JSON; ids are
 * random strings. Bodies the schema accepts are filtered out (those may legitimately succeed).
 */
import fc from 'fast-check';
import { stringifyTopology, problemSchema } from '@switchyard/contracts';
import { apiRoutes } from '../../apps/control-plane/src/control-plane.module';
import { type RouteSpec } from '../../apps/control-plane/src/http/route-spec';
import { snapshotDatabase } from './support/db-snapshot';
import { openHttpTestApp, smallTopology, type HttpTestApp } from './support/http-test-app';

let t: HttpTestApp;
/** An existing id per resource, so that PATCH and DELETE reach validation, not a 404. */
const ids: Record<string, string> = {};
let scopeId: string;

beforeAll(async () => {
  t = await openHttpTestApp({ topology: smallTopology() });
  const actor = { actor: 'test:setup' };
  scopeId = (await t.inventory.scopes.tree())[0].id;
  ids.scopes = scopeId;
  ids.tenants = (await t.inventory.tenants.create({ name: 'existing-tenant', gpuQuota: 8 }, actor)).id;
  ids['model-profiles'] = (
    await t.inventory.modelProfiles.create(
      { name: 'vlm-33b', gpusPerReplica: 2, gpuMemoryMiB: 80_000, predictedWattsPerGpu: 600 },
      actor,
    )
  ).id;
  const now = Date.now();
  ids['budget-overrides'] = (
    await t.inventory.budgetOverrides.create(
      { scopeId, watts: 1_000_000, startsAt: new Date(now), endsAt: new Date(now + 3_600_000), reason: 'grid event' },
      actor,
    )
  ).id;
  ids.tokens = (await t.inventory.tokens.create({ name: 'ci', role: 'viewer' }, actor)).record.id;
});
afterAll(() => t.close());

/** A body the route accepts, as a starting point for single-field corruptions. */
function validBody(route: RouteSpec): Record<string, unknown> {
  switch (route.operationId) {
    case 'importTopology':
      return smallTopology() as unknown as Record<string, unknown>;
    case 'createTenant':
      return { name: 'new-tenant', gpuQuota: 4, wattsQuota: 10_000 };
    case 'updateTenant':
      return { gpuQuota: 16 };
    case 'createModelProfile':
      return {
        name: 'new-profile',
        gpusPerReplica: 1,
        gpuMemoryMiB: 1000,
        predictedWattsPerGpu: 500,
        allowedProducts: ['NVIDIA-H200'],
      };
    case 'updateModelProfile':
      return { predictedWattsPerGpu: 550 };
    case 'createBudgetOverride':
      return {
        scopeId,
        watts: 500_000,
        startsAt: '2030-01-01T14:00:00Z',
        endsAt: '2030-01-01T16:00:00Z',
        reason: 'grid',
      };
    case 'updateScope':
      return { capacityWatts: 1_000_000, oversubscriptionRatio: 1.1 };
    case 'createToken':
      return { name: 'another', role: 'operator' };
    default:
      throw new Error(`no valid body for ${route.operationId}`);
  }
}

function accepts(route: RouteSpec, body: unknown): boolean {
  if (route.parseBody) {
    try {
      route.parseBody(body);
      return true;
    } catch {
      return false;
    }
  }
  return route.body!.safeParse(body).success;
}

type Attempt = { id?: string; contentType: string; payload: string };

function attempts(route: RouteSpec): fc.Arbitrary<Attempt> {
  const resource = route.path.split('/')[3];
  const existing = ids[resource];
  const badId = fc
    .string({ minLength: 1, maxLength: 40 })
    .filter((s) => !/^[0-9a-f-]{36}$/i.test(s) && s.trim() === s && !s.includes('/'));
  const json = (value: unknown) => ({ contentType: 'application/json', payload: JSON.stringify(value) });
  const options: fc.Arbitrary<Attempt>[] = [];
  if (route.params) options.push(badId.map((id) => ({ id, ...json(route.body ? validBody(route) : {}) })));
  if (route.body) {
    const base = validBody(route);
    const keys = Object.keys(base);
    const invalid = (value: unknown) => !accepts(route, value);
    options.push(
      fc
        .jsonValue()
        .filter(invalid)
        .map((value) => ({ id: existing, ...json(value) })),
      fc
        .tuple(fc.constantFrom(...keys), fc.jsonValue())
        .map(([key, value]) => ({ ...base, [key]: value }))
        .filter(invalid)
        .map((value) => ({ id: existing, ...json(value) })),
      fc
        .tuple(
          fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !keys.includes(k) && k !== '__proto__'),
          fc.jsonValue(),
        )
        .map(([key, value]) => ({ ...base, [key]: value }))
        .filter(invalid)
        .map((value) => ({ id: existing, ...json(value) })),
      fc
        .string({ maxLength: 200 })
        .filter((text) => {
          try {
            JSON.parse(text);
            return false;
          } catch {
            return true;
          }
        })
        .map((payload) => ({ id: existing, contentType: 'application/json', payload })),
    );
    if (route.operationId === 'importTopology') {
      const yaml = stringifyTopology(smallTopology());
      options.push(
        fc
          .tuple(fc.nat(yaml.length - 1), fc.string({ minLength: 1, maxLength: 8 }))
          .map(([at, junk]) => ({
            contentType: 'application/yaml',
            payload: yaml.slice(0, at) + junk + yaml.slice(at + junk.length),
          }))
          .filter((a) => {
            try {
              route.parseBody!(a.payload);
              return false;
            } catch {
              return true;
            }
          }),
      );
    }
  }
  return fc.oneof(...options);
}

const mutating = apiRoutes().filter((r) => r.method !== 'GET');

it('covers every mutating endpoint', () => {
  expect(mutating.map((r) => r.operationId).sort()).toEqual(
    [
      'importTopology',
      'updateScope',
      'createModelProfile',
      'updateModelProfile',
      'deleteModelProfile',
      'createTenant',
      'updateTenant',
      'deleteTenant',
      'createBudgetOverride',
      'cancelBudgetOverride',
      'createToken',
      'revokeToken',
    ].sort(),
  );
});

describe.each(mutating.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_label, route) => {
  it('answers invalid input with a 4xx problem and changes nothing', async () => {
    const before = await snapshotDatabase(t.db.database);
    await fc.assert(
      fc.asyncProperty(attempts(route), async (attempt) => {
        const url = route.path.replace(
          /:(id|name)/,
          encodeURIComponent(attempt.id ?? '00000000-0000-4000-8000-000000000000'),
        );
        const method = route.method.toLowerCase() as 'post' | 'put' | 'patch' | 'delete';
        const res = await t.http[method](url)
          .set(t.auth('admin'))
          .set('Content-Type', attempt.contentType)
          .send(attempt.payload);
        expect([400, 404, 413, 415, 422]).toContain(res.status);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        const problem = problemSchema.parse(res.body);
        expect(problem.status).toBe(res.status);
        if (res.status === 422) expect(problem.errors?.length).toBeGreaterThan(0);
      }),
      { numRuns: 40 },
    );
    expect(await snapshotDatabase(t.db.database)).toEqual(before);
  });
});
