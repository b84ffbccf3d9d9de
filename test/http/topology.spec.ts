import {
  stringifyTopology,
  type TopologyDocument,
  problemSchema,
  scopeTreeSchema,
  topologyImportSummarySchema,
} from '@switchyard/contracts';
import { snapshotDatabase } from './support/db-snapshot';
import { openHttpTestApp, smallTopology, type HttpTestApp } from './support/http-test-app';

let t: HttpTestApp;
beforeAll(async () => {
  t = await openHttpTestApp();
});
afterAll(() => t.close());

function putYaml(text: string) {
  return t.http.put('/api/v1/topology').set(t.auth('admin')).set('Content-Type', 'application/yaml').send(text);
}

describe('PUT /api/v1/topology', () => {
  const document = smallTopology();

  it('loads a YAML topology, then is idempotent', async () => {
    const first = await putYaml(stringifyTopology(document)).expect(200);
    expect(topologyImportSummarySchema.parse(first.body)).toMatchObject({
      scopes: { created: 1 + 1 + 2 + 4, updated: 0, unchanged: 0 },
      nodes: { created: 16, updated: 0, unchanged: 0 },
      gpus: { created: 128, updated: 0, unchanged: 0, removed: 0 },
    });
    const again = await t.http.put('/api/v1/topology').set(t.auth('admin')).send(document).expect(200);
    expect(topologyImportSummarySchema.parse(again.body)).toMatchObject({
      scopes: { created: 0, updated: 0, unchanged: 8 },
      nodes: { created: 0, updated: 0, unchanged: 16 },
      gpus: { created: 0, updated: 0, unchanged: 128, removed: 0 },
    });

    const tree = scopeTreeSchema.parse((await t.http.get('/api/v1/scopes').set(t.auth('viewer')).expect(200)).body);
    expect(tree.items).toHaveLength(1);
    expect(tree.items[0]).toMatchObject({ kind: 'site', name: 'demo-dc', gpusTotal: 128, nodes: 16 });
    expect(tree.items[0].children[0].children.map((row) => row.children.length)).toEqual([2, 2]);

    const audit = await t.inventory.audit.list({ action: 'topology.import' });
    expect(audit.items.map((e) => e.actor)).toEqual([
      `token:test-admin:${t.tokens.admin.id}`,
      `token:test-admin:${t.tokens.admin.id}`,
    ]);
  });

  it('rejects an invalid document with every problem by path, writing nothing', async () => {
    const broken = structuredClone(document) as TopologyDocument & { extra?: boolean };
    broken.halls[0].rows[1].racks[0].capacityWatts = 0;
    broken.halls[0].oversubscriptionRatio = 0.5;
    broken.nodes[3].rack = 'rack-nowhere';
    broken.site.capacityWatts = 5; // a valid change that must not be applied
    broken.extra = true;
    const before = await snapshotDatabase(t.db.database);
    const res = await t.http.put('/api/v1/topology').set(t.auth('admin')).send(broken).expect(422);
    const problem = problemSchema.parse(res.body);
    expect(problem.type).toBe('https://switchyard.io/problems/invalid-topology');
    const paths = problem.errors!.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'halls[0].rows[1].racks[0].capacityWatts',
        'halls[0].oversubscriptionRatio',
        'nodes[3].rack',
        'extra',
      ]),
    );
    expect(await snapshotDatabase(t.db.database)).toEqual(before);
  });

  it('reports YAML syntax errors with their line', async () => {
    const res = await putYaml('apiVersion: switchyard.io/v1alpha1\nkind: [unclosed\n').expect(422);
    expect(problemSchema.parse(res.body).errors![0].message).toMatch(/line \d+/);
  });

  it('is all-or-nothing when the database refuses part of the change', async () => {
    // Hold a GPU of node 0, then import a document that drops that GPU and also changes a rack.
    const node = document.nodes[0];
    await t.inventory.allocations.create({
      podUid: 'pod-uid-1',
      podNamespace: 'serving',
      podName: 'vlm-0',
      nodeName: node.name,
      gpus: [{ index: 7, shareMilli: 1000 }],
      predictedWatts: 600,
    });
    const changed = structuredClone(document);
    changed.nodes[0] = { ...node, gpus: { product: 'NVIDIA-H200', count: 4 } };
    changed.halls[0].rows[0].racks[0].capacityWatts = 41_000;
    const before = await snapshotDatabase(t.db.database);
    const res = await t.http.put('/api/v1/topology').set(t.auth('admin')).send(changed);
    expect(res.status).toBe(409);
    expect(problemSchema.parse(res.body).type).toBe('https://switchyard.io/problems/conflict');
    expect(await snapshotDatabase(t.db.database)).toEqual(before);
  });

  it('accepts only JSON and YAML media types', async () => {
    const res = await t.http
      .put('/api/v1/topology')
      .set(t.auth('admin'))
      .set('Content-Type', 'text/plain')
      .send('site: x')
      .expect(415);
    expect(problemSchema.parse(res.body).type).toBe('https://switchyard.io/problems/unsupported-media-type');
  });

  it('refuses an anonymous or under-privileged upload before reading it', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const anonymous = await t.http
      .put('/api/v1/topology')
      .set('Content-Type', 'application/yaml')
      .send(big)
      .expect(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="switchyard"');
    await t.http
      .put('/api/v1/topology')
      .set(t.auth('viewer'))
      .set('Content-Type', 'application/yaml')
      .send(big)
      .expect(403);
  });

  it('needs the admin role', async () => {
    await t.http.put('/api/v1/topology').set(t.auth('operator')).send(document).expect(403);
  });
});
