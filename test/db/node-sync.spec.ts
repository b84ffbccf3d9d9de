/**
 * NodeRepository.syncFromKubernetes / removeIfUnallocated on both backends: nodes and GPUs
 * written from a Node object's shape in one transaction, refusals that leave nothing written.
 */
import { generateTopology } from '@switchyard/contracts';
import { ConflictError, InvalidParameterError, Inventory, type KubernetesNodeShape } from '@switchyard/inventory';
import { BACKENDS, type TestDatabase } from '../support/database';

const audit = { actor: 'test:node-sync' };
const topology = {
  ...generateTopology('demo', { halls: 1, rowsPerHall: 1, racksPerRow: 2, nodesPerRack: 1, gpusPerNode: 4 }),
};
topology.gpuProducts = [
  ...topology.gpuProducts,
  { name: 'NVIDIA-L40S', memoryMiB: 46068, tdpWatts: 350, minPowerLimitWatts: 200, maxPowerLimitWatts: 350 },
];
const site = topology.site.name;
const hall = topology.halls[0].name;
const row = topology.halls[0].rows[0].name;
const [rackA, rackB] = topology.halls[0].rows[0].racks.map((r) => r.name);

function shape(overrides: Partial<KubernetesNodeShape> = {}): KubernetesNodeShape {
  return {
    name: 'k8s-node-1',
    hall,
    row,
    rack: rackA,
    cpuMilli: 64_000,
    memoryMiB: 512 * 1024,
    gpuCount: 4,
    gpuProduct: 'NVIDIA-H200',
    schedulable: true,
    health: 'healthy',
    ...overrides,
  };
}

describe.each(BACKENDS)('node sync from Kubernetes on $kind', ({ open }) => {
  let db: TestDatabase;
  let inventory: Inventory;
  const node = async (name = 'k8s-node-1') => (await inventory.nodes.snapshot()).nodes.find((n) => n.name === name);

  beforeAll(async () => {
    db = await open();
    inventory = new Inventory(db.database);
    await inventory.topology.import(topology, audit);
  });
  afterAll(() => db.dispose());

  it('creates a node with its GPUs under the rack the labels name (site optional), then reports it unchanged', async () => {
    expect(await inventory.nodes.syncFromKubernetes(shape(), audit)).toEqual({ change: 'created', fields: [] });
    const created = await node();
    expect(created).toMatchObject({ rackPath: `${site}/${hall}/${row}/${rackA}`, cpuMilli: 64_000, idleWatts: 2000 });
    expect(created?.maxWatts).toBe(2000 + 4 * 700);
    expect(created?.gpus.map((g) => [g.index, g.product, g.memoryMiB])).toEqual(
      [0, 1, 2, 3].map((i) => [i, 'NVIDIA-H200', 143771]),
    );
    expect(new Set(created?.gpus.map((g) => g.uuid)).size).toBe(4);
    expect(await inventory.nodes.syncFromKubernetes(shape({ site }), audit)).toEqual({
      change: 'unchanged',
      fields: [],
    });
    const shapes = await inventory.nodes.shapes();
    expect(shapes.find((s) => s.name === 'k8s-node-1')).toMatchObject({
      gpuCount: 4,
      gpuProduct: 'NVIDIA-H200',
      uniformGpus: true,
      rackPath: `${site}/${hall}/${row}/${rackA}`,
    });
  });

  it('changes product, count and rack of an unallocated node', async () => {
    const outcome = await inventory.nodes.syncFromKubernetes(
      shape({ rack: rackB, gpuCount: 2, gpuProduct: 'NVIDIA-L40S', gpuMemoryMiB: 46000 }),
      audit,
    );
    expect(outcome.change).toBe('updated');
    expect(outcome.fields.sort()).toEqual(['gpuCount', 'gpuProduct', 'rack']);
    const updated = await node();
    expect(updated?.rackPath).toBe(`${site}/${hall}/${row}/${rackB}`);
    expect(updated?.gpus.map((g) => [g.index, g.product, g.memoryMiB, g.tdpWatts])).toEqual([
      [0, 'NVIDIA-L40S', 46000, 350],
      [1, 'NVIDIA-L40S', 46000, 350],
    ]);
    await inventory.nodes.syncFromKubernetes(shape({ rack: rackB, gpuCount: 3, gpuProduct: 'NVIDIA-L40S' }), audit);
    // Without a memory label the GPUs keep theirs; the new one gets the product's.
    expect((await node())?.gpus.map((g) => [g.index, g.memoryMiB])).toEqual([
      [0, 46000],
      [1, 46000],
      [2, 46068],
    ]);
  });

  it('refuses unknown racks and products, and changes under allocations, writing nothing', async () => {
    const before = await inventory.nodes.snapshot();
    await expect(
      inventory.nodes.syncFromKubernetes(shape({ name: 'k8s-node-2', rack: 'rack-nowhere' }), audit),
    ).rejects.toThrow(InvalidParameterError);
    await expect(
      inventory.nodes.syncFromKubernetes(shape({ name: 'k8s-node-2', gpuProduct: 'NVIDIA-Z9' }), audit),
    ).rejects.toMatchObject({ field: 'nvidia.com/gpu.product' });
    await expect(
      inventory.nodes.syncFromKubernetes(shape({ name: 'k8s-node-2', gpuProduct: null }), audit),
    ).rejects.toMatchObject({ field: 'nvidia.com/gpu.product' });
    expect(await inventory.nodes.snapshot()).toEqual(before);

    await inventory.allocations.create({
      podUid: 'uid-sync',
      podNamespace: 'ml',
      podName: 'p',
      nodeName: 'k8s-node-1',
      gpus: [{ index: 2, shareMilli: 500 }],
      predictedWatts: 200,
    });
    const current = shape({ rack: rackB, gpuCount: 3, gpuProduct: 'NVIDIA-L40S' });
    await expect(inventory.nodes.syncFromKubernetes({ ...current, gpuCount: 2 }, audit)).rejects.toThrow(
      /GPUs 2 are allocated/,
    );
    await expect(inventory.nodes.syncFromKubernetes({ ...current, gpuProduct: 'NVIDIA-H200' }, audit)).rejects.toThrow(
      ConflictError,
    );
    await expect(inventory.nodes.syncFromKubernetes({ ...current, rack: rackA }, audit)).rejects.toThrow(
      /cannot move to rack/,
    );
    // Growing is fine under allocations, and so is correcting the memory label.
    expect((await inventory.nodes.syncFromKubernetes({ ...current, gpuCount: 4 }, audit)).change).toBe('updated');
    expect((await node())?.gpus).toHaveLength(4);
    const corrected = await inventory.nodes.syncFromKubernetes({ ...current, gpuCount: 4, gpuMemoryMiB: 46068 }, audit);
    expect(corrected).toEqual({ change: 'updated', fields: ['gpuMemoryMiB'] });
    expect((await inventory.nodes.shapes()).find((s) => s.name === 'k8s-node-1')?.gpuMemoryMiB).toEqual({
      min: 46068,
      max: 46068,
    });
    // Less memory than the pod was placed on is the same refusal as topology import's.
    await expect(
      inventory.nodes.syncFromKubernetes({ ...current, gpuCount: 4, gpuMemoryMiB: 40_000 }, audit),
    ).rejects.toThrow(/GPUs 2 are allocated and cannot lose memory \(to 40000 MiB\)/);
    expect(await inventory.nodes.snapshot()).not.toEqual(before);
  });

  it('removes a deleted node only once no allocation references it', async () => {
    expect(await inventory.nodes.removeIfUnallocated('k8s-node-1', audit)).toBe(false);
    expect(await node()).toMatchObject({ schedulable: false, health: 'unhealthy' });
    await inventory.allocations.release('uid-sync');
    expect(await inventory.nodes.removeIfUnallocated('k8s-node-1', audit)).toBe(true);
    expect(await node()).toBeUndefined();
    await expect(inventory.nodes.removeIfUnallocated('k8s-node-1', audit)).rejects.toMatchObject({
      name: 'NotFoundError',
    });
  });
});
