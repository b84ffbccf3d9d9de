/**
 * End to end: a high-priority ModelDeployment whose replica is a 2-node gang preempts
 * lower-priority pods on both nodes through the Eviction API, then binds all or nothing
 * (the real kubectl, the embedded Kubernetes API, the real PostgreSQL server).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringifyTopology } from '@switchyard/contracts';
import type { KubernetesRuntime } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import {
  eventually,
  generateTopology,
  kubectl,
  kubectlApplyStdin,
  kubectlAvailable,
  kubectlJson,
  openWorld,
  settledAllocations,
  startLeadingEmbeddedRuntime,
  type E2eWorld,
} from './e2e-support';

interface Pod {
  metadata: { name: string; uid: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
}
interface KubeEvent {
  involvedObject: { name: string };
  reason: string;
  message: string;
}

const describeKubectl = kubectlAvailable() ? describe : describe.skip;

describeKubectl('a gang preempts lower priority on two nodes (kubectl, embedded API, PostgreSQL)', () => {
  let world: E2eWorld;
  let runtime: KubernetesRuntime;
  let kubeconfig: string;
  let topologyDir: string;

  beforeAll(async () => {
    // One rack of two 8-GPU nodes: the gang needs both whole nodes.
    const topology = generateTopology('demo', {
      halls: 1,
      rowsPerHall: 1,
      racksPerRow: 1,
      nodesPerRack: 2,
      gpusPerNode: 8,
    });
    topologyDir = mkdtempSync(join(tmpdir(), 'switchyard-gang-preemption-'));
    const topologyFile = join(topologyDir, 'topology.yaml');
    writeFileSync(topologyFile, stringifyTopology(topology));
    world = await openWorld(topology, topologyFile);
    runtime = await startLeadingEmbeddedRuntime(world, 50);
    kubeconfig = runtime.kubeconfigPath as string;
  }, 60_000);

  afterAll(async () => {
    await runtime?.close();
    await world?.dispose();
    if (topologyDir) rmSync(topologyDir, { recursive: true, force: true });
  });

  const pods = async () => (await kubectlJson<{ items: Pod[] }>(kubeconfig, 'get', 'pods')).items;
  const ofDeployment = (list: Pod[], name: string) =>
    list.filter((p) => p.metadata.labels?.['switchyard.io/deployment'] === name);
  const gangDeployment = (name: string) =>
    JSON.stringify({
      apiVersion: 'switchyard.io/v1alpha1',
      kind: 'ModelDeployment',
      metadata: { name, namespace: 'default' },
      spec: {
        model: 'llama-3.2-90b-vision-instruct',
        image: 'vllm/vllm-openai:v0.8.5',
        replicas: 1,
        gpu: { count: 8, products: ['NVIDIA-H200'] },
        podsPerReplica: 2,
        priority: 'high',
        tenant: 'default',
        power: { wattsPerGpu: 600, cappingAllowed: false },
        topology: { gangScope: 'rack' },
        maxUnavailable: 0,
      },
    });

  it('evicts the batch pods on both nodes and binds both gang members', async () => {
    // Four batch pods of 4 GPUs fill both nodes (bare pods: nothing recreates them).
    for (let i = 0; i < 4; i += 1) {
      const manifest = JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `filler-${i}`, namespace: 'default', labels: { 'switchyard.io/priority': 'batch' } },
        spec: {
          schedulerName: 'switchyard',
          containers: [{ name: 'c', image: 'busybox', resources: { limits: { 'nvidia.com/gpu': '4' } } }],
        },
      });
      expect(await kubectlApplyStdin(kubeconfig, manifest)).toEqual({ status: 0, stderr: '' });
    }
    const fillers = await eventually(
      async () => {
        const list = (await pods()).filter((p) => p.metadata.name.startsWith('filler-'));
        return list.length === 4 && list.every((p) => p.spec.nodeName) ? list : undefined;
      },
      20_000,
      'batch pods bound',
    );
    expect(new Set(fillers.map((p) => p.spec.nodeName)).size).toBe(2);
    expect(await world.inventory.allocations.all()).toHaveLength(4);

    const gangManifest = gangDeployment('big-gang');
    expect(await kubectlApplyStdin(kubeconfig, gangManifest)).toEqual({ status: 0, stderr: '' });

    const gang = await eventually(
      async () => {
        const list = ofDeployment(await pods(), 'big-gang');
        return list.length === 2 && list.every((p) => p.spec.nodeName) ? list : undefined;
      },
      30_000,
      'the gang bound',
    );
    expect(new Set(gang.map((p) => p.spec.nodeName)).size).toBe(2);

    // Every batch pod went through the Eviction API (deleted, with a Preempted event naming both nodes).
    const remaining = (await pods()).filter((p) => p.metadata.name.startsWith('filler-'));
    expect(remaining).toEqual([]);
    const events = (await kubectlJson<{ items: KubeEvent[] }>(kubeconfig, 'get', 'events')).items;
    const preempted = events.filter((e) => e.reason === 'Preempted');
    expect(preempted.map((e) => e.involvedObject.name).sort()).toEqual(fillers.map((p) => p.metadata.name).sort());
    const nodes = [...new Set(fillers.map((p) => p.spec.nodeName as string))].sort();
    for (const e of preempted) {
      expect(e.message).toMatch(/^Preempted by default\/big-gang/);
      for (const node of nodes) expect(e.message).toContain(node);
    }

    // All or nothing, durably: exactly the gang's two allocations, both bound, 8 GPUs each where the pods are.
    const rows = await settledAllocations(world.inventory, 2, 10_000, 'the gang allocations bound');
    expect(rows.map((r) => [r.podUid, r.nodeName, r.gpus.length]).sort()).toEqual(
      gang.map((p) => [p.metadata.uid, p.spec.nodeName, 8]).sort(),
    );
    expect(runtime.state.overBudget()).toEqual([]);
  }, 90_000);

  it('holds the freed nodes for the gang while a ModelDeployment replaces its preempted pods', async () => {
    await kubectl(kubeconfig, 'delete', 'md', 'big-gang', '--wait=false');
    await eventually(async () => (await world.inventory.allocations.all()).length === 0, 20_000, 'the first gang gone');
    // Four batch replicas of 4 GPUs fill both nodes; their controller recreates every pod evicted.
    const filler = JSON.stringify({
      apiVersion: 'switchyard.io/v1alpha1',
      kind: 'ModelDeployment',
      metadata: { name: 'batch-fill', namespace: 'default' },
      spec: {
        model: 'qwen2.5-vl-32b-instruct',
        image: 'busybox',
        replicas: 4,
        gpu: { count: 4 },
        priority: 'batch',
        tenant: 'default',
        maxUnavailable: 4,
      },
    });
    expect(await kubectlApplyStdin(kubeconfig, filler)).toEqual({ status: 0, stderr: '' });
    const originals = await eventually(
      async () => {
        const list = ofDeployment(await pods(), 'batch-fill');
        return list.length === 4 && list.every((p) => p.spec.nodeName) ? list : undefined;
      },
      20_000,
      'batch replicas bound',
    );
    expect(await kubectlApplyStdin(kubeconfig, gangDeployment('big-gang-2'))).toEqual({ status: 0, stderr: '' });
    const gang = await eventually(
      async () => {
        const list = ofDeployment(await pods(), 'big-gang-2');
        return list.length === 2 && list.every((p) => p.spec.nodeName) ? list : undefined;
      },
      30_000,
      'the second gang bound',
    );
    expect(new Set(gang.map((p) => p.spec.nodeName)).size).toBe(2);
    // Every original batch pod was evicted; their replacements wait, and are told why.
    const fill = ofDeployment(await pods(), 'batch-fill');
    const originalUids = new Set(originals.map((p) => p.metadata.uid));
    expect(fill.filter((p) => originalUids.has(p.metadata.uid))).toEqual([]);
    expect(fill.every((p) => !p.spec.nodeName)).toBe(true);
    const rows = await settledAllocations(world.inventory, 2, 10_000, 'only the gang allocated');
    expect(rows.map((r) => r.podUid).sort()).toEqual(gang.map((p) => p.metadata.uid).sort());
    expect(runtime.state.overBudget()).toEqual([]);
  }, 90_000);
});
