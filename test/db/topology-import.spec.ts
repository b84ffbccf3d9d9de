/** Topology import: idempotent upsert of a whole document in one transaction, on both backends. */
import { generateTopology, type TopologyDocument } from '@switchyard/contracts';
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
