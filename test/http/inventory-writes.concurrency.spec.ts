/**
 * REST writes racing each other through the real app: same names, same rows, overlapping
 * overrides, concurrent topology imports. Never a 5xx, never a spurious 409, and the audit
 * trail tells the writes in the order they were applied (each event's "before" is the previous
 * event's "after").
 */
import { generateTopology, type TopologyDocument } from '@switchyard/contracts';
import type { AuditEventRecord } from '@switchyard/inventory';
import { openHttpTestApp, smallTopology, type HttpTestApp } from './support/http-test-app';

const WRITERS = 20;
const B200 = {
  name: 'NVIDIA-B200',
  memoryMiB: 184_320,
  tdpWatts: 1000,
  minPowerLimitWatts: 200,
  maxPowerLimitWatts: 1000,
};
const L40S = {
  name: 'NVIDIA-L40S',
  memoryMiB: 46_068,
  tdpWatts: 350,
  minPowerLimitWatts: 200,
  maxPowerLimitWatts: 350,
};

function withProducts(): TopologyDocument {
  const doc = smallTopology();
  doc.gpuProducts.push(B200, L40S);
  return doc;
}

/** The statuses of `requests` run at once, sorted. */
async function statuses(requests: Array<PromiseLike<{ status: number }>>): Promise<number[]> {
  return (await Promise.all(requests)).map((r) => r.status).sort();
}

interface Change {
  before: Record<string, unknown>;
  changes: Record<string, unknown>;
  after: Record<string, unknown>;
}

/** The update events of one target, in the order they were written (ids grow with insertion). */
async function updates(t: HttpTestApp, action: string, target: string): Promise<Change[]> {
  const events: AuditEventRecord[] = (await t.inventory.audit.list({ action, limit: 1000 })).items;
  return events
    .filter((e) => e.target === target)
    .sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)))
    .map((e) => e.details as Change);
}

/** Each event replaced exactly what the previous one wrote, and the last one wrote what is stored now. */
function expectUnbrokenChain(changes: Change[], first: Record<string, unknown>, final: Record<string, unknown>) {
  expect(changes).toHaveLength(WRITERS);
  expect(changes[0].before).toEqual(first);
  // Every writer sends other values: a "before" read without the lock would miss the previous change.
  for (let i = 1; i < changes.length; i++) expect(changes[i].before).toMatchObject(changes[i - 1].changes);
  for (let i = 1; i < changes.length; i++) expect(changes[i].before).toEqual(changes[i - 1].after);
  expect(changes[changes.length - 1].after).toEqual(final);
}

/** Scope capacities and node watts as stored, to compare with what a document says. */
async function stored(t: HttpTestApp) {
  const scopes = await t.db.database.prisma.scope.findMany({ select: { path: true, capacityWatts: true } });
  const nodes = await t.db.database.prisma.node.findMany({ select: { name: true, maxWatts: true } });
  return {
    scopes: Object.fromEntries(scopes.map((s) => [s.path, s.capacityWatts])),
    nodes: Object.fromEntries(nodes.map((n) => [n.name, n.maxWatts])),
  };
}

function expected(doc: TopologyDocument) {
  const scopes: Record<string, number> = { [doc.site.name]: doc.site.capacityWatts };
  for (const hall of doc.halls) {
    scopes[`${doc.site.name}/${hall.name}`] = hall.capacityWatts;
    for (const row of hall.rows) {
      scopes[`${doc.site.name}/${hall.name}/${row.name}`] = row.capacityWatts;
      for (const rack of row.racks)
        scopes[`${doc.site.name}/${hall.name}/${row.name}/${rack.name}`] = rack.capacityWatts;
    }
  }
  return { scopes, nodes: Object.fromEntries(doc.nodes.map((n) => [n.name, n.maxWatts])) };
}

describe.each(['postgres', 'pglite'] as const)('concurrent REST writes on %s', (backend) => {
  let t: HttpTestApp;
  beforeAll(async () => {
    t = await openHttpTestApp({ backend, topology: withProducts() });
  });
  afterAll(() => t.close());

  const send = (method: 'post' | 'patch' | 'put', url: string, body: object) =>
    t.http[method](url).set(t.auth('admin')).send(body);

  it('creates one tenant (and one profile) of a name: one 201, the rest 409, never a 5xx', async () => {
    expect(await statuses(Array.from({ length: 8 }, () => send('post', '/api/v1/tenants', { name: 'twin' })))).toEqual([
      201,
      ...Array(7).fill(409),
    ]);
    const profile = { name: 'twin', gpusPerReplica: 1, gpuMemoryMiB: 0, predictedWattsPerGpu: 500 };
    expect(await statuses(Array.from({ length: 8 }, () => send('post', '/api/v1/model-profiles', profile)))).toEqual([
      201,
      ...Array(7).fill(409),
    ]);
    expect(await t.db.database.prisma.tenant.count({ where: { name: 'twin' } })).toBe(1);
  });

  it(`applies ${WRITERS} concurrent PATCHes of one tenant in one order, and audits that order`, async () => {
    const created = (await send('post', '/api/v1/tenants', { name: 'raced', gpuQuota: 0 }).expect(201)).body;
    const url = `/api/v1/tenants/${created.id}`;
    const results = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) => send('patch', url, { gpuQuota: i + 1, wattsQuota: (i + 1) * 1000 })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(WRITERS).fill(200));
    const final = (await t.http.get(url).set(t.auth('viewer')).expect(200)).body;
    expect(final.wattsQuota).toBe(final.gpuQuota * 1000);
    const { usage: _usage, ...finalRecord } = final;
    expectUnbrokenChain(await updates(t, 'tenant.update', `tenant/${created.id}`), created, finalRecord);
  });

  it(`applies ${WRITERS} concurrent PATCHes of a profile's allowedProducts without a spurious 409`, async () => {
    const profile = { name: 'vlm-raced', gpusPerReplica: 1, gpuMemoryMiB: 0, predictedWattsPerGpu: 500 };
    const created = (await send('post', '/api/v1/model-profiles', profile).expect(201)).body;
    const url = `/api/v1/model-profiles/${created.id}`;
    // Sorted, as the API returns them, so that each event's "changes" compare with the next "before".
    const lists = [['NVIDIA-B200', 'NVIDIA-H200'], ['NVIDIA-B200', 'NVIDIA-L40S'], ['NVIDIA-H200'], []];
    const results = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) =>
        send('patch', url, { allowedProducts: lists[i % lists.length], gpuMemoryMiB: i + 1 }),
      ),
    );
    expect(results.map((r) => `${r.status} ${r.body.title ?? ''}`.trim())).toEqual(Array(WRITERS).fill('200'));
    const final = (await t.http.get(url).set(t.auth('viewer')).expect(200)).body;
    expect(final.allowedProducts).toEqual(lists[(final.gpuMemoryMiB - 1) % lists.length]);
    expectUnbrokenChain(await updates(t, 'modelProfile.update', `modelProfile/${created.id}`), created, final);
  });

  it('accepts overlapping overrides of one scope written at once; the lowest is in force', async () => {
    const scope = (await t.inventory.scopes.tree())[0];
    const now = Date.now();
    const bodies = Array.from({ length: WRITERS }, (_, i) => ({
      scopeId: scope.id,
      watts: 1_000_000 + i * 1000,
      startsAt: new Date(now - 60_000 - i * 1000).toISOString(),
      endsAt: new Date(now + 3_600_000 + i * 1000).toISOString(),
      reason: `grid event ${i}`,
    }));
    expect(await statuses(bodies.map((b) => send('post', '/api/v1/budget-overrides', b)))).toEqual(
      Array(WRITERS).fill(201),
    );
    const detail = (await t.http.get(`/api/v1/scopes/${scope.id}`).set(t.auth('viewer')).expect(200)).body;
    expect(detail.activeOverride).toMatchObject({ watts: 1_000_000 });
    expect(await t.db.database.prisma.budgetOverride.count({ where: { scopeId: scope.id } })).toBe(WRITERS);
  });

  it('imports the same document, and two conflicting ones, at once: no 5xx, and one document wins whole', async () => {
    const doc = withProducts();
    expect(await statuses(Array.from({ length: 4 }, () => send('put', '/api/v1/topology', doc)))).toEqual(
      Array(4).fill(200),
    );
    expect(await stored(t)).toEqual(expected(doc));

    const a = withProducts();
    const b = withProducts();
    a.site.capacityWatts -= 1;
    b.halls[0].rows[0].racks[0].capacityWatts -= 1;
    b.nodes.forEach((n) => (n.maxWatts -= 10));
    const docs = [a, b, a, b];
    expect(await statuses(docs.map((d) => send('put', '/api/v1/topology', d)))).toEqual(Array(4).fill(200));
    expect([expected(a), expected(b)]).toContainEqual(await stored(t));
  });
});

describe('concurrent imports of two sites into an empty database', () => {
  let t: HttpTestApp;
  beforeAll(async () => {
    t = await openHttpTestApp();
  });
  afterAll(() => t.close());

  it('lets one site in (200) and refuses the other (422), never both', async () => {
    const a = generateTopology('demo', { halls: 1, rowsPerHall: 1, racksPerRow: 2 });
    const b = { ...structuredClone(a), site: { ...a.site, name: 'second-dc' } };
    const results = await Promise.all([a, b].map((d) => t.http.put('/api/v1/topology').set(t.auth('admin')).send(d)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 422]);
    const winner = results[0].status === 200 ? a : b;
    const roots = await t.db.database.prisma.scope.findMany({ where: { parentId: null }, select: { name: true } });
    expect(roots).toEqual([{ name: winner.site.name }]);
    expect(await stored(t)).toEqual(expected(winner));
  });
});
