/** Topology import: idempotent upsert of a whole document in one transaction, on both backends. */
import { generateTopology, TopologyValidationError, type TopologyDocument } from '@switchyard/contracts';
import { tmpdir } from 'node:os';
import { ConflictError, Inventory, openDatabase } from '@switchyard/inventory';
import { BACKENDS, openTestDatabase, truncateAll, type TestDatabase } from '../support/database';

const admin = { actor: 'test:import' };
const small = () =>
  generateTopology('demo', { halls: 2, rowsPerHall: 2, racksPerRow: 2, nodesPerRack: 2, gpusPerNode: 2 });

async function tableCounts(db: TestDatabase): Promise<Record<string, number>> {
  const [row] = await db.database.prisma.$queryRaw<Array<Record<string, number>>>`
    SELECT (SELECT count(*)::int FROM scopes) AS scopes, (SELECT count(*)::int FROM nodes) AS nodes,
           (SELECT count(*)::int FROM gpus) AS gpus, (SELECT count(*)::int FROM gpu_products) AS products,
           (SELECT count(*)::int FROM audit_events) AS audit`;
  return row;
}

/** Everything but timestamps and ids, to compare two imports row by row. */
async function contents(db: TestDatabase): Promise<unknown> {
  return db.database.prisma.$queryRaw`
    SELECT s.path, s.kind::text, s.capacity_watts, s.oversubscription_ratio, n.name, n.cpu_milli, n.max_watts, n.labels,
           g.uuid, g.index, g.tdp_watts
    FROM gpus g JOIN nodes n ON n.id = g.node_id JOIN scopes s ON s.id = n.rack_id
    ORDER BY g.uuid`;
}

describe.each(BACKENDS)('topology import on $kind', ({ open }) => {
  let db: TestDatabase;
  let inventory: Inventory;
  beforeAll(async () => {
    db = await open();
    inventory = new Inventory(db.database);
  });
  beforeEach(() => truncateAll(db.database));
  afterAll(() => db.dispose());

  it('creates the whole tree, then changes nothing when the same document comes again', async () => {
    const document = small();
    const first = await inventory.topology.import(document, admin);
    // 1 site + 2 halls + 4 rows + 8 racks; 16 nodes; 32 GPUs.
    expect(first).toMatchObject({
      site: 'demo-dc',
      gpuProducts: { created: 1, updated: 0, unchanged: 0 },
      scopes: { created: 15, updated: 0, unchanged: 0 },
      nodes: { created: 16, updated: 0, unchanged: 0 },
      gpus: { created: 32, updated: 0, unchanged: 0, removed: 0 },
    });
    const before = await contents(db);

    const second = await inventory.topology.import(document, admin);
    expect(second).toMatchObject({
      scopes: { created: 0, updated: 0, unchanged: 15 },
      nodes: { created: 0, updated: 0, unchanged: 16 },
      gpus: { created: 0, updated: 0, unchanged: 32, removed: 0 },
    });
    expect(await contents(db)).toEqual(before);
    expect(await tableCounts(db)).toMatchObject({ scopes: 15, nodes: 16, gpus: 32, products: 1, audit: 2 });
    expect(await inventory.isEmpty()).toBe(false);
  });

  it('updates a changed document in place, keeping ids and runtime state', async () => {
    const document = small();
    await inventory.topology.import(document, admin);
    const node = await inventory.nodes.get(document.nodes[0].name);
    await inventory.nodes.updateStatus(node.name, { health: 'healthy', schedulable: false });

    const changed: TopologyDocument = structuredClone(document);
    changed.halls[0].rows[0].racks[0].capacityWatts = 35_000;
    changed.halls[1].oversubscriptionRatio = 1.5;
    changed.nodes[0].maxWatts = 9_000;
    changed.nodes[0].labels = { team: 'vision' };
    changed.nodes[1].gpus = { product: 'NVIDIA-H200', count: 1 };
    const summary = await inventory.topology.import(changed, admin);
    expect(summary).toMatchObject({
      scopes: { created: 0, updated: 2, unchanged: 13 },
      nodes: { created: 0, updated: 1, unchanged: 15 },
      gpus: { created: 0, updated: 0, unchanged: 31, removed: 1 },
    });
    const after = await inventory.nodes.get(document.nodes[0].name);
    expect(after).toMatchObject({
      id: node.id,
      maxWatts: 9_000,
      labels: { team: 'vision' },
      health: 'healthy',
      schedulable: false,
    });
    expect((await inventory.nodes.get(document.nodes[1].name)).gpus).toHaveLength(1);
    const [site] = await inventory.scopes.tree();
    expect(site.children[1].oversubscriptionRatio).toBe(1.5);
  });

  it('writes nothing when any part of the document is refused', async () => {
    const document = small();
    await inventory.topology.import(document, admin);
    const before = await contents(db);
    const countsBefore = await tableCounts(db);

    // Valid up to the last GPU row, which names a product the catalog does not have.
    const broken: TopologyDocument = structuredClone(document);
    broken.halls[0].capacityWatts = 1;
    broken.nodes.push({
      ...structuredClone(document.nodes[0]),
      name: 'extra-node',
      gpus: { product: 'NVIDIA-NOPE', count: 1 },
    });
    await expect(inventory.topology.import(broken, admin)).rejects.toThrow();
    expect(await contents(db)).toEqual(before);
    expect(await tableCounts(db)).toEqual(countsBefore);
  });

  it('refuses to remove a GPU that holds an allocation, and leaves everything as it was', async () => {
    const document = small();
    await inventory.topology.import(document, admin);
    const nodeName = document.nodes[0].name;
    await inventory.allocations.create({
      podUid: 'p',
      podNamespace: 'ml',
      podName: 'p',
      nodeName,
      gpus: [{ index: 1, shareMilli: 1000 }],
      predictedWatts: 700,
    });
    const shrunk: TopologyDocument = structuredClone(document);
    shrunk.nodes[0].gpus = { product: 'NVIDIA-H200', count: 1 };
    await expect(inventory.topology.import(shrunk, admin)).rejects.toBeInstanceOf(ConflictError);
    expect((await inventory.nodes.get(nodeName)).gpus).toHaveLength(2);
  });

  /** Imports `document`, then gives one pod GPU `index` of each named node. */
  async function importWithPods(document: TopologyDocument, pods: Array<[node: string, index: number]>) {
    await inventory.topology.import(document, admin);
    for (const [nodeName, index] of pods)
      await inventory.allocations.create({
        podUid: `pod-${nodeName}-${index}`,
        podNamespace: 'ml',
        podName: `pod-${nodeName}-${index}`,
        nodeName,
        gpus: [{ index, shareMilli: 500 }],
        predictedWatts: 350,
      });
  }

  /** What an import that is refused must leave exactly as it was. */
  const state = async () => ({ contents: await contents(db), counts: await tableCounts(db) });

  it('refuses a document of another site, and the database refuses a second site whatever writes it', async () => {
    const document = small();
    await inventory.topology.import(document, admin);
    const before = await state();
    const other: TopologyDocument = { ...structuredClone(document), site: { ...document.site, name: 'other-dc' } };
    const refusal = await inventory.topology.import(other, admin).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(TopologyValidationError);
    expect((refusal as TopologyValidationError).problems).toEqual([
      { path: 'site.name', message: expect.stringMatching(/^is "other-dc", but this database holds site "demo-dc"/) },
    ]);
    expect(await state()).toEqual(before);

    await expect(
      db.database.prisma
        .$executeRaw`INSERT INTO scopes (kind, name, path, capacity_watts) VALUES ('site', 'x', 'x', 1)`,
    ).rejects.toThrow(/scopes_one_site_key/);
    expect(await state()).toEqual(before);
  });

  it('refuses to move, re-type or shrink what allocations hold, listing every conflict, and writes nothing', async () => {
    const document = small();
    document.gpuProducts.push({
      name: 'NVIDIA-L40S',
      memoryMiB: 46068,
      tdpWatts: 350,
      minPowerLimitWatts: 200,
      maxPowerLimitWatts: 350,
    });
    const [moved, retyped, idle] = [document.nodes[0], document.nodes[1], document.nodes[2]];
    await importWithPods(document, [
      [moved.name, 0],
      [retyped.name, 1],
    ]);
    const before = await state();

    const changed: TopologyDocument = structuredClone(document);
    changed.nodes[0].rack = document.nodes[8].rack; // another hall
    changed.nodes[1].gpus = { product: 'NVIDIA-L40S', count: 2 };
    changed.nodes[2].rack = document.nodes[8].rack; // no allocations: may move
    const refusal = await inventory.topology.import(changed, admin).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ConflictError);
    expect(refusal).toMatchObject({ reason: 'held-by-allocations' });
    expect((refusal as ConflictError).problems).toEqual([
      {
        path: 'nodes[0].rack',
        message: `node ${moved.name}: it holds 1 allocation(s) and cannot move to rack demo-dc/hall-b/row-b01/rack-b01-01`,
      },
      {
        path: 'nodes[1].gpus',
        message: `node ${retyped.name}: GPUs 1 are allocated and cannot change product (to NVIDIA-L40S)`,
      },
    ]);
    expect(await state()).toEqual(before);

    // The catalog's memory of a product is the memory of its GPUs: less of it is refused, more is fine.
    const smaller: TopologyDocument = structuredClone(document);
    smaller.gpuProducts[0].memoryMiB -= 1;
    const shrunk = await inventory.topology.import(smaller, admin).catch((error: unknown) => error);
    expect((shrunk as ConflictError).problems?.map((p) => p.path)).toEqual(['nodes[0].gpus', 'nodes[1].gpus']);
    expect((shrunk as ConflictError).problems?.[0].message).toMatch(/GPUs 0 are allocated and cannot lose memory/);
    expect(await state()).toEqual(before);

    const larger: TopologyDocument = structuredClone(document);
    larger.gpuProducts[0].memoryMiB += 1;
    larger.nodes[2].rack = document.nodes[8].rack;
    await inventory.topology.import(larger, admin);
    expect((await inventory.nodes.get(moved.name)).gpus[0].memoryMiB).toBe(document.gpuProducts[0].memoryMiB + 1);
    expect((await inventory.nodes.get(idle.name)).rackPath).toBe('demo-dc/hall-b/row-b01/rack-b01-01');
  });

  it('prunes only when asked, and never what allocations hold', async () => {
    const document = small();
    const lastHall = document.halls[1];
    const kept: TopologyDocument = {
      ...structuredClone(document),
      halls: [structuredClone(document.halls[0])],
      nodes: structuredClone(document.nodes.slice(0, 8)),
    };
    const held = document.nodes[9];
    await importWithPods(document, [[held.name, 1]]);

    const keptAll = await inventory.topology.import(kept, admin);
    expect(keptAll).toMatchObject({ scopes: { removed: 0 }, nodes: { removed: 0 } });
    expect(await tableCounts(db)).toMatchObject({ scopes: 15, nodes: 16, gpus: 32 });

    const before = await state();
    const refusal = await inventory.topology.import(kept, admin, { prune: true }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ConflictError);
    const rackOfHeld = `demo-dc/${lastHall.name}/${lastHall.rows[0].name}/${held.rack}`;
    expect((refusal as ConflictError).problems).toEqual([
      {
        path: '(document)',
        message: `node ${held.name} (not in the document, pruned): it holds 1 allocation(s) and cannot be removed`,
      },
      ...[`demo-dc/${lastHall.name}`, `demo-dc/${lastHall.name}/${lastHall.rows[0].name}`, rackOfHeld].map((path) => ({
        path: '(document)',
        message: `scope ${path} (not in the document, pruned): its nodes hold 1 allocation(s) and it cannot be removed`,
      })),
    ]);
    expect(await state()).toEqual(before);

    await inventory.allocations.release(`pod-${held.name}-1`);
    const pruned = await inventory.topology.import(kept, admin, { prune: true });
    // One hall, its 2 rows and 4 racks; their 8 nodes (and 16 GPUs).
    expect(pruned).toMatchObject({ scopes: { removed: 7, unchanged: 8 }, nodes: { removed: 8, unchanged: 8 } });
    expect(await tableCounts(db)).toMatchObject({ scopes: 8, nodes: 8, gpus: 16 });
    const [site] = await inventory.scopes.tree();
    expect(site.children.map((hall) => hall.name)).toEqual([document.halls[0].name]);
  });
});

describe('scope tree read by one instance, topology changed by another', () => {
  it('shows the change at the next read (no stale cache)', async () => {
    const db = await openTestDatabase();
    const other = await openDatabase({ databaseUrl: db.url, dataDir: tmpdir(), poolSize: 2 });
    try {
      const reader = new Inventory(db.database);
      const document = small();
      await new Inventory(other).topology.import(document, admin);
      const [before] = await reader.scopes.tree();
      expect(before.capacityWatts).toBe(document.site.capacityWatts);

      const changed: TopologyDocument = structuredClone(document);
      changed.site.capacityWatts = document.site.capacityWatts - 1;
      await new Inventory(other).topology.import(changed, admin);
      const [after] = await reader.scopes.tree();
      expect(after.capacityWatts).toBe(document.site.capacityWatts - 1);
    } finally {
      await other.close();
      await db.dispose();
    }
  });
});
