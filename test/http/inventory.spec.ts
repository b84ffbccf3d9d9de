import {
  gpuPageSchema,
  gpuProductListSchema,
  nodePageSchema,
  nodeSchema,
  problemSchema,
  scopeDetailSchema,
  scopeTreeSchema,
  type ScopeTreeDto,
} from '@switchyard/contracts';
import { openHttpTestApp, smallTopology, type HttpTestApp } from './support/http-test-app';

let t: HttpTestApp;
let site: ScopeTreeDto;
beforeAll(async () => {
  t = await openHttpTestApp({ topology: smallTopology() });
  const node = smallTopology().nodes[0];
  await t.inventory.allocations.create({
    podUid: 'pod-a',
    podNamespace: 'serving',
    podName: 'vlm-a',
    nodeName: node.name,
    gpus: [
      { index: 0, shareMilli: 1000 },
      { index: 1, shareMilli: 500 },
    ],
    predictedWatts: 1100,
  });
  await t.inventory.nodes.updateStatus(smallTopology().nodes[1].name, { health: 'unhealthy', schedulable: false });
  site = scopeTreeSchema.parse((await t.http.get('/api/v1/scopes').set(t.auth('viewer')).expect(200)).body).items[0];
});
afterAll(() => t.close());

function walk(scope: ScopeTreeDto): ScopeTreeDto[] {
  return [scope, ...scope.children.flatMap(walk)];
}

describe('scopes', () => {
  it('returns the tree with aggregates rolled up to the site', () => {
    expect(site).toMatchObject({
      kind: 'site',
      capacityWatts: 2_000_000,
      effectiveBudgetWatts: 2_000_000,
      activeOverride: null,
      allocatedWatts: 1100,
      nodes: 16,
      gpusTotal: 128,
      gpusAllocatedMilli: 1500,
      gpusBusy: 2,
    });
    const all = walk(site);
    expect(all.map((s) => s.kind).sort()).toEqual(['hall', 'rack', 'rack', 'rack', 'rack', 'row', 'row', 'site']);
    for (const scope of all.filter((s) => s.children.length > 0)) {
      expect(scope.gpusTotal).toBe(scope.children.reduce((sum, c) => sum + c.gpusTotal, 0));
      expect(scope.allocatedWatts).toBe(scope.children.reduce((sum, c) => sum + c.allocatedWatts, 0));
    }
  });

  it('shows an active budget override in the effective budget', async () => {
    const hall = site.children[0];
    const now = Date.now();
    await t.http
      .post('/api/v1/budget-overrides')
      .set(t.auth('operator'))
      .send({
        scopeId: hall.id,
        watts: 700_000,
        startsAt: new Date(now - 60_000).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
        reason: 'grid event',
      })
      .expect(201);
    const res = await t.http.get(`/api/v1/scopes/${hall.id}`).set(t.auth('viewer')).expect(200);
    const detail = scopeDetailSchema.parse(res.body);
    expect(detail.effectiveBudgetWatts).toBe(700_000);
    expect(detail.activeOverride).toMatchObject({ watts: 700_000, reason: 'grid event' });
    expect(detail.children.map((c) => c.kind)).toEqual(['row', 'row']);
    // The whole tree, read right after the change, shows it too (no stale shared read).
    const tree = scopeTreeSchema.parse((await t.http.get('/api/v1/scopes').set(t.auth('viewer')).expect(200)).body);
    expect(tree.items[0].children[0].effectiveBudgetWatts).toBe(700_000);
  });

  it('404 for a scope that does not exist', async () => {
    const res = await t.http
      .get('/api/v1/scopes/6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f')
      .set(t.auth('viewer'))
      .expect(404);
    expect(problemSchema.parse(res.body).detail).toContain('scope');
  });
});

describe('nodes and GPUs', () => {
  it('lists nodes by name with cursor pagination, every node exactly once', async () => {
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.http
        .get('/api/v1/nodes')
        .query({ limit: 5, ...(cursor ? { cursor } : {}) })
        .set(t.auth('viewer'))
        .expect(200);
      const page = nodePageSchema.parse(res.body);
      names.push(...page.items.map((n) => n.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toHaveLength(16);
    expect(new Set(names).size).toBe(16);
    expect(names).toEqual([...names].sort());
  });

  it('filters nodes by scope, product and health', async () => {
    const rack = site.children[0].children[1].children[0];
    const inRack = nodePageSchema.parse(
      (await t.http.get(`/api/v1/nodes?scopeId=${rack.id}`).set(t.auth('viewer')).expect(200)).body,
    );
    expect(inRack.items).toHaveLength(4);
    expect(inRack.items.every((n) => n.rackId === rack.id && n.rackPath === rack.path)).toBe(true);

    const unhealthy = nodePageSchema.parse(
      (await t.http.get('/api/v1/nodes?health=unhealthy').set(t.auth('viewer')).expect(200)).body,
    );
    expect(unhealthy.items.map((n) => [n.name, n.schedulable])).toEqual([[smallTopology().nodes[1].name, false]]);

    const h200 = nodePageSchema.parse(
      (await t.http.get('/api/v1/nodes?product=NVIDIA-H200&limit=1000').set(t.auth('viewer')).expect(200)).body,
    );
    expect(h200.items).toHaveLength(16);
    const other = nodePageSchema.parse(
      (await t.http.get('/api/v1/nodes?product=NVIDIA-B200').set(t.auth('viewer')).expect(200)).body,
    );
    expect(other).toEqual({ items: [], nextCursor: null });
  });

  it('gets one node by name with its GPUs', async () => {
    const name = smallTopology().nodes[0].name;
    const node = nodeSchema.parse((await t.http.get(`/api/v1/nodes/${name}`).set(t.auth('viewer')).expect(200)).body);
    expect(node.gpus.map((g) => g.allocatedMilli)).toEqual([1000, 500, 0, 0, 0, 0, 0, 0]);
    await t.http.get('/api/v1/nodes/no-such-node').set(t.auth('viewer')).expect(404);
  });

  it('lists GPUs with filters and pagination', async () => {
    const name = smallTopology().nodes[0].name;
    const ofNode = gpuPageSchema.parse(
      (await t.http.get(`/api/v1/gpus?node=${name}`).set(t.auth('viewer')).expect(200)).body,
    );
    expect(ofNode.items.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const full = gpuPageSchema.parse(
      (await t.http.get('/api/v1/gpus?available=false').set(t.auth('viewer')).expect(200)).body,
    );
    expect(full.items.map((g) => [g.nodeName, g.index])).toEqual([[name, 0]]);
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const res = await t.http
        .get('/api/v1/gpus')
        .query({ limit: 50, ...(cursor ? { cursor } : {}) })
        .set(t.auth('viewer'))
        .expect(200);
      const page = gpuPageSchema.parse(res.body);
      page.items.forEach((g) => seen.add(g.uuid));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.size).toBe(128);
  });

  it('filters by an unknown scope id are a 400 naming scopeId', async () => {
    const res = await t.http
      .get('/api/v1/gpus?scopeId=6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f')
      .set(t.auth('viewer'))
      .expect(400);
    expect(problemSchema.parse(res.body).errors).toEqual([
      { path: 'scopeId', message: 'is not the id of a scope', in: 'query' },
    ]);
  });

  it('lists the GPU product catalog', async () => {
    const res = gpuProductListSchema.parse(
      (await t.http.get('/api/v1/gpu-products').set(t.auth('viewer')).expect(200)).body,
    );
    expect(res.items.map((p) => p.name)).toEqual(['NVIDIA-H200']);
  });
});
