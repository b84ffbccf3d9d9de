/**
 * Inventory sync from Node objects, and NotReady / deleted nodes, against the embedded API and
 * the real PostgreSQL server: a new labelled GPU node (or one whose GPU count, product or rack
 * changes) is written into the inventory and scheduled on; one whose labels name no rack gets
 * a Warning Event, stays unschedulable and leaves nothing written; a change that would pull
 * allocated GPUs is refused the same way; the pods of a node that goes NotReady or is deleted
 * get Warning Events (and the ModelDeployment status says so), and no new pod goes there.
 */
import { writeFileSync } from 'node:fs';
import { stringifyTopology } from '@switchyard/contracts';
import type { NodeObject, PodObject } from '@switchyard/kube';
import { Registry } from 'prom-client';
import type { KubernetesRuntime } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import {
  eventually,
  generateTopology,
  openWorld,
  quietLogger,
  startLeadingEmbeddedRuntime,
  type E2eWorld,
} from './e2e-support';

interface KubeEvent {
  involvedObject: { kind: string; name: string; namespace?: string };
  type: string;
  reason: string;
  message: string;
}

describe('inventory sync from Node objects; NotReady and deleted nodes', () => {
  let world: E2eWorld;
  let runtime: KubernetesRuntime;
  const registry = new Registry();
  // 1 hall, 1 row, 2 racks of 4 nodes x 8 H200.
  const topology = generateTopology('demo', { halls: 1, rowsPerHall: 1, racksPerRow: 2 });
  const site = topology.site.name;
  const hall = topology.halls[0].name;
  const row = topology.halls[0].rows[0].name;
  const [rackA, rackB] = topology.halls[0].rows[0].racks.map((r) => r.name);
  const product = topology.gpuProducts[0].name;
  const topoLabels = (rack: string) => ({
    'switchyard.io/site': site,
    'switchyard.io/hall': hall,
    'switchyard.io/row': row,
    'switchyard.io/rack': rack,
  });

  beforeAll(async () => {
    world = await openWorld(topology, '(generated)');
    const file = `${world.dataDir}/topology.yaml`;
    writeFileSync(file, stringifyTopology(topology));
    runtime = await startLeadingEmbeddedRuntime(world, 20, {
      topologyFile: file,
      extra: { logger: quietLogger, registry },
    });
  });

  afterAll(async () => {
    await runtime?.close();
    await world?.dispose();
  });

  const sim = () => runtime.sim!;
  const request = <T>(method: 'GET' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) =>
    runtime.cluster.connection.request<T>({
      method,
      path,
      ...(body ? { body } : {}),
      ...(method === 'PATCH' ? { contentType: 'application/merge-patch+json' } : {}),
    });

  async function events(kind: string, name: string): Promise<KubeEvent[]> {
    const list = await request<{ items: KubeEvent[] }>('GET', '/api/v1/namespaces/default/events');
    return list.items.filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name);
  }

  async function dbNode(name: string) {
    const snapshot = await world.inventory.nodes.snapshot();
    return snapshot.nodes.find((n) => n.name === name);
  }

  async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const m = await registry.getSingleMetric(name)?.get();
    const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
    return v?.value ?? 0;
  }

  function gpuPod(name: string, gpus: number, nodeSelector?: Record<string, string>): PodObject {
    return {
      metadata: { name, namespace: 'default' },
      spec: {
        schedulerName: 'switchyard',
        ...(nodeSelector ? { nodeSelector } : {}),
        containers: [{ name: 'c', image: 'busybox', resources: { limits: { 'nvidia.com/gpu': String(gpus) } } }],
      },
    } as PodObject;
  }

  async function boundNode(name: string): Promise<string> {
    return eventually(
      async () => (await runtime.cluster.pods.get('default', name))?.spec.nodeName,
      20_000,
      `${name} bound`,
    );
  }

  /** Cordons every node but `keep` (returns a function that uncordons them again). */
  async function only(keep: string): Promise<() => void> {
    const list = await request<{ items: NodeObject[] }>('GET', '/api/v1/nodes');
    const others = list.items.map((n) => n.metadata.name).filter((n) => n !== keep);
    for (const n of others) sim().nodes.cordon(n, true);
    return () => {
      for (const n of others) if (sim().store.get('nodes', '', n)) sim().nodes.cordon(n, false);
    };
  }

  it('creates a new labelled GPU node with its GPUs under the named rack, and schedules on it', async () => {
    sim().nodes.add('joined-1', { gpus: 4, product, labels: topoLabels(rackB) });
    const row_ = await eventually(async () => dbNode('joined-1'), 20_000, 'joined-1 in the inventory');
    expect(row_.rackPath).toBe(`${site}/${hall}/${row}/${rackB}`);
    expect(row_.gpus.map((g) => [g.index, g.product])).toEqual([0, 1, 2, 3].map((i) => [i, product]));
    expect(new Set(row_.gpus.map((g) => g.uuid)).size).toBe(4);
    expect((await events('Node', 'joined-1')).map((e) => e.reason)).toContain('InventoryNodeCreated');
    expect(await metric('switchyard_inventory_node_syncs_total', { result: 'created' })).toBeGreaterThanOrEqual(1);

    const uncordon = await only('joined-1');
    try {
      await runtime.cluster.pods.create(gpuPod('on-joined', 4));
      expect(await boundNode('on-joined')).toBe('joined-1');
    } finally {
      uncordon();
    }
  });

  it('follows a change of GPU count and of rack; refuses to remove GPUs that are allocated', async () => {
    // Grow joined-1 from 4 to 6 GPUs (its 4 allocated ones stay).
    const node = await request<NodeObject>('GET', '/api/v1/nodes/joined-1');
    await request('PUT', '/api/v1/nodes/joined-1/status', {
      ...node,
      status: { ...node.status, allocatable: { ...node.status?.allocatable, 'nvidia.com/gpu': '6' } },
    });
    await eventually(async () => (await dbNode('joined-1'))?.gpus.length === 6, 20_000, 'joined-1 has 6 GPUs');

    // Shrinking to 2 would remove allocated GPUs: refused, nothing written, node unschedulable.
    const grown = await request<NodeObject>('GET', '/api/v1/nodes/joined-1');
    await request('PUT', '/api/v1/nodes/joined-1/status', {
      ...grown,
      status: { ...grown.status, allocatable: { ...grown.status?.allocatable, 'nvidia.com/gpu': '2' } },
    });
    const refused = await eventually(
      async () => (await events('Node', 'joined-1')).find((e) => e.reason === 'InventoryChangeBlocked'),
      20_000,
      'a Warning for the refused shrink',
    );
    expect(refused.type).toBe('Warning');
    expect(refused.message).toMatch(/GPUs 2, 3 are allocated/);
    expect((await dbNode('joined-1'))?.gpus).toHaveLength(6);
    const uncordon = await only('joined-1');
    try {
      await runtime.cluster.pods.create(gpuPod('not-on-blocked', 1));
      await new Promise((r) => setTimeout(r, 1500));
      expect((await runtime.cluster.pods.get('default', 'not-on-blocked'))?.spec.nodeName).toBeUndefined();
    } finally {
      uncordon();
      await runtime.cluster.pods.delete('default', 'not-on-blocked');
    }

    // An unallocated node moves racks: its row follows.
    sim().nodes.add('joined-2', { gpus: 2, product, labels: topoLabels(rackA) });
    await eventually(async () => (await dbNode('joined-2'))?.rackPath.endsWith(rackA), 20_000, 'joined-2 in rack A');
    await request('PATCH', '/api/v1/nodes/joined-2', { metadata: { labels: { 'switchyard.io/rack': rackB } } });
    await eventually(
      async () => (await dbNode('joined-2'))?.rackPath.endsWith(rackB),
      20_000,
      'joined-2 moved to rack B',
    );
  });

  it('warns on a node whose rack label names no known scope, writes nothing and never schedules there', async () => {
    const before = await world.inventory.nodes.snapshot();
    sim().nodes.add('stray-1', { gpus: 8, product, labels: topoLabels('rack-nowhere') });
    const warning = await eventually(
      async () => (await events('Node', 'stray-1')).find((e) => e.reason === 'InventoryRejected'),
      20_000,
      'a Warning Event on stray-1',
    );
    expect(warning.type).toBe('Warning');
    expect(warning.message).toContain('switchyard.io/rack');
    expect(warning.message).toContain(`${site}/${hall}/${row}/rack-nowhere`);
    const after = await world.inventory.nodes.snapshot();
    expect(after.nodes.map((n) => n.name)).toEqual(before.nodes.map((n) => n.name));
    expect(after.nodes.flatMap((n) => n.gpus).length).toBe(before.nodes.flatMap((n) => n.gpus).length);

    const uncordon = await only('stray-1');
    try {
      await runtime.cluster.pods.create(gpuPod('not-on-stray', 1));
      await new Promise((r) => setTimeout(r, 1500));
      expect((await runtime.cluster.pods.get('default', 'not-on-stray'))?.spec.nodeName).toBeUndefined();
    } finally {
      uncordon();
      await runtime.cluster.pods.delete('default', 'not-on-stray');
    }
  });

  it('reports the pods of a node that goes NotReady, in Events, the metric and the ModelDeployment status; sends no new pod there', async () => {
    const target = topology.nodes[0].name;
    const uncordon = await only(target);
    try {
      await runtime.cluster.modelDeployments.create({
        metadata: { name: 'nr', namespace: 'default' },
        spec: { model: 'tiny', image: 'busybox', replicas: 1, gpu: { count: 1 } } as never,
      });
      const podName = await eventually(
        async () => {
          const list = await request<{ items: PodObject[] }>('GET', '/api/v1/namespaces/default/pods');
          return list.items.find((p) => p.metadata.name.startsWith('nr-') && p.spec.nodeName === target)?.metadata.name;
        },
        30_000,
        'the replica bound to the target node',
      );
      sim().nodes.setReady(target, false);
      const warning = await eventually(
        async () => (await events('Pod', podName as string)).find((e) => e.reason === 'NodeNotReady'),
        20_000,
        'a NodeNotReady Warning on the pod',
      );
      expect(warning.type).toBe('Warning');
      expect(warning.message).toContain(`node ${target} is NotReady`);
      expect(await metric('switchyard_node_failure_pods_total', { reason: 'NodeNotReady' })).toBeGreaterThanOrEqual(1);
      expect(await metric('switchyard_nodes_not_ready')).toBe(1);
      await eventually(
        () =>
          runtime
            .listDeployments()
            .find((m) => m.metadata.name === 'nr')
            ?.status?.replicaStatuses?.[0]?.message?.includes(`node ${target} is NotReady`),
        20_000,
        'the ModelDeployment status names the NotReady node',
      );
      // The allocation is kept; no new pod goes to the NotReady node.
      expect((await world.inventory.allocations.all()).some((a) => a.podName === podName)).toBe(true);
      await runtime.cluster.pods.create(gpuPod('not-on-notready', 1));
      await new Promise((r) => setTimeout(r, 1500));
      expect((await runtime.cluster.pods.get('default', 'not-on-notready'))?.spec.nodeName).toBeUndefined();

      sim().nodes.setReady(target, true);
      expect(await boundNode('not-on-notready')).toBe(target);
      await eventually(async () => (await metric('switchyard_nodes_not_ready')) === 0, 10_000, 'gauge back to 0');
    } finally {
      uncordon();
    }
  });

  it('on Node deletion: warns its pods, keeps their allocations until they go, then removes the row', async () => {
    expect((await dbNode('joined-1'))?.gpus).toHaveLength(6);
    await request('DELETE', '/api/v1/nodes/joined-1');
    const warning = await eventually(
      async () => (await events('Pod', 'on-joined')).find((e) => e.reason === 'NodeDeleted'),
      20_000,
      'a NodeDeleted Warning on the pod',
    );
    expect(warning.message).toContain('node joined-1 was deleted');
    expect(await metric('switchyard_node_failure_pods_total', { reason: 'NodeDeleted' })).toBeGreaterThanOrEqual(1);
    // Still allocated: the row stays, unschedulable and unhealthy.
    await eventually(
      async () => {
        const n = await dbNode('joined-1');
        return n && !n.schedulable && n.health === 'unhealthy';
      },
      20_000,
      'joined-1 kept, unschedulable',
    );
    expect((await world.inventory.allocations.all()).some((a) => a.podName === 'on-joined')).toBe(true);

    await runtime.cluster.pods.delete('default', 'on-joined');
    await eventually(async () => (await dbNode('joined-1')) === undefined, 30_000, 'joined-1 removed');
    expect((await world.inventory.allocations.all()).some((a) => a.podName === 'on-joined')).toBe(false);
    // An unallocated Node goes at once.
    await request('DELETE', '/api/v1/nodes/joined-2');
    await eventually(async () => (await dbNode('joined-2')) === undefined, 20_000, 'joined-2 removed');
  });
});
