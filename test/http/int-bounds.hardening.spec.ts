/**
 * Integers in REST bodies against the int4 columns that store them: the largest value a column
 * holds is accepted and read back; one more is a 422 naming the field, and nothing is written.
 */
import {
  generateTopology,
  INT4_MAX,
  problemSchema,
  scopeTreeSchema,
  type TopologyDocument,
} from '@switchyard/contracts';
import { snapshotDatabase } from './support/db-snapshot';
import { openHttpTestApp, type HttpTestApp } from './support/http-test-app';

const TOO_BIG = INT4_MAX + 1;
const tiny = () => generateTopology('demo', { halls: 1, rowsPerHall: 1, racksPerRow: 1, nodesPerRack: 1 });

let t: HttpTestApp;
beforeAll(async () => {
  t = await openHttpTestApp({ topology: tiny() });
});
afterAll(() => t.close());

/** Sends a body that must be refused with 422, and proves the database did not change. */
async function refused(method: 'post' | 'patch' | 'put', url: string, body: object) {
  const before = await snapshotDatabase(t.db.database);
  const res = await t.http[method](url).set(t.auth('admin')).send(body);
  expect(res.status).toBe(422);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(await snapshotDatabase(t.db.database)).toEqual(before);
  return problemSchema.parse(res.body);
}

function withEveryInt(value: number): TopologyDocument {
  const doc = tiny();
  doc.site.capacityWatts = value;
  doc.halls[0].capacityWatts = value;
  doc.halls[0].rows[0].capacityWatts = value;
  doc.halls[0].rows[0].racks[0].capacityWatts = value;
  doc.gpuProducts[0].memoryMiB = value;
  doc.gpuProducts[0].maxPowerLimitWatts = value;
  doc.nodes[0].cpuMilli = value;
  doc.nodes[0].memoryMiB = value;
  doc.nodes[0].maxWatts = value;
  return doc;
}

describe('PUT /api/v1/topology', () => {
  it('refuses every integer above 2^31-1 by path, instead of failing in the database', async () => {
    const problem = await refused('put', '/api/v1/topology', withEveryInt(TOO_BIG));
    expect(problem.type).toBe('https://switchyard.io/problems/invalid-topology');
    expect(problem.errors?.map((e) => `${e.path}: ${e.message}`).sort()).toEqual(
      [
        'site.capacityWatts',
        'halls[0].capacityWatts',
        'halls[0].rows[0].capacityWatts',
        'halls[0].rows[0].racks[0].capacityWatts',
        'gpuProducts[0].memoryMiB',
        'gpuProducts[0].maxPowerLimitWatts',
        'nodes[0].cpuMilli',
        'nodes[0].memoryMiB',
        'nodes[0].maxWatts',
      ]
        .map((path) => `${path}: must be <= ${INT4_MAX}`)
        .sort(),
    );
  });

  it('stores and reads back 2^31-1 in every one of those fields', async () => {
    await t.http.put('/api/v1/topology').set(t.auth('admin')).send(withEveryInt(INT4_MAX)).expect(200);
    const tree = scopeTreeSchema.parse((await t.http.get('/api/v1/scopes').set(t.auth('viewer')).expect(200)).body);
    const rack = tree.items[0].children[0].children[0].children[0];
    expect([tree.items[0], tree.items[0].children[0], rack].map((s) => s.capacityWatts)).toEqual([
      INT4_MAX,
      INT4_MAX,
      INT4_MAX,
    ]);
    const node = (await t.http.get(`/api/v1/nodes/${tiny().nodes[0].name}`).set(t.auth('viewer')).expect(200)).body;
    expect(node).toMatchObject({ cpuMilli: INT4_MAX, memoryMiB: INT4_MAX, maxWatts: INT4_MAX });
    expect(node.gpus[0]).toMatchObject({ memoryMiB: INT4_MAX, maxPowerLimitWatts: INT4_MAX });
  });
});

describe('other bodies with int4 columns', () => {
  let scopeId: string;
  let tenantId: string;
  let profileId: string;
  beforeAll(async () => {
    scopeId = (await t.inventory.scopes.tree())[0].id;
    tenantId = (await t.inventory.tenants.create({ name: 'bounds' }, { actor: 'test' })).id;
    profileId = (
      await t.inventory.modelProfiles.create(
        { name: 'bounds', gpusPerReplica: 1, gpuMemoryMiB: 1, predictedWattsPerGpu: 500 },
        { actor: 'test' },
      )
    ).id;
  });

  const override = (watts: number) => ({
    scopeId,
    watts,
    startsAt: '2030-01-01T00:00:00Z',
    endsAt: '2030-01-01T02:00:00Z',
    reason: 'bounds',
  });
  const cases: Array<[string, 'post' | 'patch', () => string, (value: number) => object, string]> = [
    ['tenant create gpuQuota', 'post', () => '/api/v1/tenants', (v) => ({ name: `t-${v}`, gpuQuota: v }), 'gpuQuota'],
    [
      'tenant create wattsQuota',
      'post',
      () => '/api/v1/tenants',
      (v) => ({ name: `w-${v}`, wattsQuota: v }),
      'wattsQuota',
    ],
    [
      'tenant update wattsQuota',
      'patch',
      () => `/api/v1/tenants/${tenantId}`,
      (v) => ({ wattsQuota: v }),
      'wattsQuota',
    ],
    ['budget override watts', 'post', () => '/api/v1/budget-overrides', override, 'watts'],
    [
      'scope update capacityWatts',
      'patch',
      () => `/api/v1/scopes/${scopeId}`,
      (v) => ({ capacityWatts: v }),
      'capacityWatts',
    ],
    [
      'model profile create gpuMemoryMiB',
      'post',
      () => '/api/v1/model-profiles',
      (v) => ({ name: `p-${v}`, gpusPerReplica: 1, gpuMemoryMiB: v, predictedWattsPerGpu: 500 }),
      'gpuMemoryMiB',
    ],
    [
      'model profile update gpuMemoryMiB',
      'patch',
      () => `/api/v1/model-profiles/${profileId}`,
      (v) => ({ gpuMemoryMiB: v }),
      'gpuMemoryMiB',
    ],
  ];

  it.each(cases)('%s: 2^31 is a 422 naming the field; 2^31-1 is stored', async (_name, method, url, body, field) => {
    const problem = await refused(method, url(), body(TOO_BIG));
    expect(problem.errors).toContainEqual(expect.objectContaining({ path: field, message: `must be <= ${INT4_MAX}` }));
    const res = await t.http[method](url()).set(t.auth('admin')).send(body(INT4_MAX));
    expect([200, 201]).toContain(res.status);
    expect(res.body[field]).toBe(INT4_MAX);
  });
});
