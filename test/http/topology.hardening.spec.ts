/**
 * PUT /api/v1/topology against what the database already holds: one site per database, no
 * change under live allocations (every conflict listed), and pruning only when asked.
 */
import { problemSchema, topologyImportSummarySchema, type TopologyDocument } from '@switchyard/contracts';
import { snapshotDatabase } from './support/db-snapshot';
import { openHttpTestApp, smallTopology, type HttpTestApp } from './support/http-test-app';

const document = smallTopology();
let t: HttpTestApp;
beforeAll(async () => {
  t = await openHttpTestApp({ topology: document });
});
afterAll(() => t.close());

function put(body: TopologyDocument, query = '') {
  return t.http.put(`/api/v1/topology${query}`).set(t.auth('admin')).send(body);
}

/** A request that must be refused with `status`, leaving the database as it was. */
async function refused(body: TopologyDocument, status: number, query = '') {
  const before = await snapshotDatabase(t.db.database);
  const res = await put(body, query);
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(await snapshotDatabase(t.db.database)).toEqual(before);
  return problemSchema.parse(res.body);
}

async function allocate(podUid: string, nodeName: string, index: number): Promise<void> {
  await t.inventory.allocations.create({
    podUid,
    podNamespace: 'ml',
    podName: podUid,
    nodeName,
    gpus: [{ index, shareMilli: 1000 }],
    predictedWatts: 700,
  });
  await t.inventory.allocations.markBound(podUid);
}

it('refuses a second site with a 422 naming site.name, so the leader keeps one root scope', async () => {
  const other = { ...structuredClone(document), site: { ...document.site, name: 'second-dc' } };
  const problem = await refused(other, 422);
  expect(problem.type).toBe('https://switchyard.io/problems/invalid-topology');
  expect(problem.errors).toEqual([
    expect.objectContaining({ path: 'site.name', message: expect.stringContaining('one site per database') }),
  ]);
  const tree = (await t.http.get('/api/v1/scopes').set(t.auth('viewer')).expect(200)).body;
  expect(tree.items.map((s: { name: string }) => s.name)).toEqual([document.site.name]);
});

describe('under live allocations', () => {
  const [moved, retyped] = [document.nodes[0], document.nodes[1]];
  beforeAll(async () => {
    await allocate('pod-moved', moved.name, 3);
    await allocate('pod-retyped', retyped.name, 5);
  });

  it('refuses moving a node with a bound pod and re-typing its GPUs: 409 with every conflict, nothing written', async () => {
    const changed = structuredClone(document);
    changed.gpuProducts.push({ ...document.gpuProducts[0], name: 'NVIDIA-B200', memoryMiB: 184_320 });
    const otherRow = document.halls[0].rows[1];
    changed.nodes[0].rack = otherRow.racks[0].name;
    changed.nodes[1].gpus = { product: 'NVIDIA-B200', count: 8 };
    const problem = await refused(changed, 409);
    expect(problem.type).toBe('https://switchyard.io/problems/conflict');
    expect(problem.errors).toEqual([
      {
        path: 'nodes[0].rack',
        message: `node ${moved.name}: it holds 1 allocation(s) and cannot move to rack ${document.site.name}/${document.halls[0].name}/${otherRow.name}/${otherRow.racks[0].name}`,
        in: 'body',
      },
      {
        path: 'nodes[1].gpus',
        message: `node ${retyped.name}: GPUs 5 are allocated and cannot change product (to NVIDIA-B200)`,
        in: 'body',
      },
    ]);
  });

  it('refuses fewer GPUs or less memory under a pod, and takes what leaves the pod its GPU', async () => {
    const fewer = structuredClone(document);
    fewer.nodes[0].gpus = { product: document.gpuProducts[0].name, count: 2 };
    expect((await refused(fewer, 409)).errors).toEqual([
      expect.objectContaining({ path: 'nodes[0].gpus', message: expect.stringMatching(/GPUs 3 are allocated/) }),
    ]);
    const smaller = structuredClone(document);
    smaller.gpuProducts[0].memoryMiB = 81_920;
    expect((await refused(smaller, 409)).errors?.map((e) => e.path)).toEqual(['nodes[0].gpus', 'nodes[1].gpus']);

    const fine = structuredClone(document);
    fine.nodes[0].maxWatts -= 100;
    fine.nodes[0].gpus = { product: document.gpuProducts[0].name, count: 4 };
    const summary = topologyImportSummarySchema.parse((await put(fine).expect(200)).body);
    expect(summary.gpus.removed).toBe(4);
    expect((await t.inventory.nodes.get(moved.name)).gpus.map((g) => g.allocatedMilli)).toEqual([0, 0, 0, 1000]);
    await put(document).expect(200);
  });

  it('prunes only with ?prune=true, refuses (409, listed) to prune what holds allocations', async () => {
    const lastRow = document.halls[0].rows[1];
    const lastRowRacks = new Set(lastRow.racks.map((r) => r.name));
    const withoutRow: TopologyDocument = structuredClone(document);
    withoutRow.halls[0].rows.pop();
    withoutRow.nodes = withoutRow.nodes.filter((n) => !lastRowRacks.has(n.rack));
    const held = document.nodes.find((n) => lastRowRacks.has(n.rack)) as TopologyDocument['nodes'][number];
    await allocate('pod-pruned', held.name, 0);

    const kept = topologyImportSummarySchema.parse((await put(withoutRow).expect(200)).body);
    expect(kept).toMatchObject({ scopes: { removed: 0 }, nodes: { removed: 0 } });
    expect(await t.db.database.prisma.node.count()).toBe(document.nodes.length);

    const problem = await refused(withoutRow, 409, '?prune=true');
    expect(problem.errors?.map((e) => e.message)).toEqual([
      `node ${held.name} (not in the document, pruned): it holds 1 allocation(s) and cannot be removed`,
      `scope ${document.site.name}/${document.halls[0].name}/${lastRow.name} (not in the document, pruned): its nodes hold 1 allocation(s) and it cannot be removed`,
      `scope ${document.site.name}/${document.halls[0].name}/${lastRow.name}/${held.rack} (not in the document, pruned): its nodes hold 1 allocation(s) and it cannot be removed`,
    ]);
    await refused(withoutRow, 400, '?prune=yes');

    await t.inventory.allocations.release('pod-pruned');
    const pruned = topologyImportSummarySchema.parse((await put(withoutRow, '?prune=true').expect(200)).body);
    expect(pruned).toMatchObject({
      scopes: { removed: 1 + lastRow.racks.length },
      nodes: { removed: document.nodes.length - withoutRow.nodes.length },
    });
    expect(await t.db.database.prisma.node.count()).toBe(withoutRow.nodes.length);
    expect(await t.db.database.prisma.scope.count()).toBe(1 + 1 + 1 + document.halls[0].rows[0].racks.length);
  });
});
