/**
 * End to end: the embedded Kubernetes API, the real PostgreSQL server, the control plane's
 * scheduler and controller, and the real kubectl applying the shipped examples.
 */
import { join } from 'node:path';
import type { KubernetesRuntime } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import {
  REPO,
  eventually,
  kubectl,
  kubectlApplyStdin,
  kubectlAvailable,
  kubectlJson,
  openWorld,
  startLeadingEmbeddedRuntime,
  type E2eWorld,
} from './e2e-support';

interface Md {
  metadata: { name: string };
  spec: { replicas: number };
  status?: {
    placed?: number;
    replicas?: number;
    predictedWatts?: number;
    conditions?: { type: string; status: string; message: string }[];
    replicaStatuses?: { phase: string; pods: { node?: string }[] }[];
  };
}
interface Pod {
  metadata: { name: string; uid: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: { nodeName?: string };
}

const describeKubectl = kubectlAvailable() ? describe : describe.skip;

describeKubectl('ModelDeployments end to end (kubectl, embedded API, PostgreSQL)', () => {
  let world: E2eWorld;
  let runtime: KubernetesRuntime;
  let kubeconfig: string;

  beforeAll(async () => {
    world = await openWorld();
    runtime = await startLeadingEmbeddedRuntime(world, 50);
    kubeconfig = runtime.kubeconfigPath as string;
  });

  afterAll(async () => {
    await runtime?.close();
    await world?.dispose();
  });

  const md = (name: string) => kubectlJson<Md>(kubeconfig, 'get', 'md', name);
  const podsOf = async (name: string) =>
    (await kubectlJson<{ items: Pod[] }>(kubeconfig, 'get', 'pods', '-l', `switchyard.io/deployment=${name}`)).items;
  const allocations = () => world.inventory.allocations.all();

  it('applies the three examples and places every replica within the budgets', async () => {
    for (const file of ['modeldeployment.yaml', 'modeldeployment-fractional.yaml', 'modeldeployment-gang.yaml']) {
      await kubectl(kubeconfig, 'apply', '-f', join(REPO, 'deploy/examples', file));
    }
    for (const [name, replicas] of [
      ['qwen-vl-32b', 2],
      ['siglip-embeddings', 4],
      ['llama-vision-90b', 1],
    ] as const) {
      const placed = await eventually(
        async () => {
          const m = await md(name);
          return m.status?.placed === replicas ? m : undefined;
        },
        20_000,
        `${name} placed`,
      );
      expect(placed.status?.conditions?.find((c) => c.type === 'Placed')?.status).toBe('True');
      expect(placed.status?.predictedWatts).toBeGreaterThan(0);
    }
    const gang = await podsOf('llama-vision-90b');
    expect(gang).toHaveLength(2);
    expect(
      gang.every((p) => p.spec.nodeName && p.metadata.annotations?.['switchyard.io/gpus']?.split(',').length === 8),
    ).toBe(true);
    // Same rack for the gang (the example asks for gangScope: rack).
    const nodes = await kubectlJson<{ items: { metadata: { name: string; labels: Record<string, string> } }[] }>(
      kubeconfig,
      'get',
      'nodes',
    );
    const rackOf = new Map(nodes.items.map((n) => [n.metadata.name, n.metadata.labels['switchyard.io/rack']]));
    expect(new Set(gang.map((p) => rackOf.get(p.spec.nodeName ?? ''))).size).toBe(1);

    const rows = await allocations();
    expect(rows).toHaveLength(2 + 4 + 2);
    expect(rows.every((r) => r.state === 'bound')).toBe(true);
    expect(runtime.state.overBudget()).toEqual([]);
    const get = await kubectl(kubeconfig, 'get', 'md');
    expect(get).toMatch(/qwen-vl-32b/);
  });

  it('scales up and down; scaling down releases allocations', async () => {
    await kubectl(kubeconfig, 'scale', 'md', 'qwen-vl-32b', '--replicas=5');
    await eventually(async () => (await md('qwen-vl-32b')).status?.placed === 5, 20_000, 'scaled up');
    await kubectl(kubeconfig, 'scale', 'md', 'qwen-vl-32b', '--replicas=1');
    await eventually(
      async () => {
        const m = await md('qwen-vl-32b');
        const pods = await podsOf('qwen-vl-32b');
        return m.status?.replicas === 1 && pods.length === 1;
      },
      20_000,
      'scaled down',
    );
    await eventually(
      async () => (await allocations()).filter((a) => a.podName.startsWith('qwen-vl-32b')).length === 1,
      10_000,
      'allocations released',
    );
  });

  it('a pod asking for 9 GPUs or an unknown product gets a FailedScheduling event, not a crash', async () => {
    const pod = (name: string, limits: Record<string, string>, annotations: Record<string, string> = {}) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', annotations },
        spec: { schedulerName: 'switchyard', containers: [{ name: 'c', image: 'busybox', resources: { limits } }] },
      });
    for (const manifest of [
      pod('nine-gpus', { 'nvidia.com/gpu': '9' }),
      pod('tpu-pod', { 'nvidia.com/gpu': '1' }, { 'switchyard.io/gpu-products': 'Google-TPU-v5' }),
    ]) {
      expect(await kubectlApplyStdin(kubeconfig, manifest)).toEqual({ status: 0, stderr: '' });
    }
    const events = await eventually(
      async () => {
        const list = await kubectlJson<{
          items: { involvedObject: { name: string }; reason: string; message: string }[];
        }>(kubeconfig, 'get', 'events', '-n', 'default');
        const failed = list.items.filter((e) => e.reason === 'FailedScheduling');
        return failed.some((e) => e.involvedObject.name === 'nine-gpus') &&
          failed.some((e) => e.involvedObject.name === 'tpu-pod')
          ? failed
          : undefined;
      },
      15_000,
      'FailedScheduling events',
    );
    expect(events.find((e) => e.involvedObject.name === 'nine-gpus')?.message).toMatch(
      /9 GPUs requested but no node has more than 8/,
    );
    expect(events.find((e) => e.involvedObject.name === 'tpu-pod')?.message).toMatch(
      /unknown GPU product "Google-TPU-v5"/,
    );
    expect(runtime.scheduler.explanation('default', 'nine-gpus')?.message).toMatch(/9 GPUs/);
    await kubectl(kubeconfig, 'delete', 'pod', 'nine-gpus', 'tpu-pod', '--wait=false');
  });

  it('deleting a deployment removes its pods, releases allocations and lets the finalizer go', async () => {
    await kubectl(kubeconfig, 'delete', 'md', 'siglip-embeddings', '--wait=false');
    await eventually(
      async () => {
        const list = await kubectlJson<{ items: Md[] }>(kubeconfig, 'get', 'md');
        return !list.items.some((m) => m.metadata.name === 'siglip-embeddings');
      },
      20_000,
      'deployment gone',
    );
    await eventually(
      async () => (await allocations()).every((a) => !a.podName.startsWith('siglip')),
      10_000,
      'allocations released',
    );
  });
});
