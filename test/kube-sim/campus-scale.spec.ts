import * as k8s from '@kubernetes/client-node';
import { generateTopology } from '@switchyard/contracts';
import { pod, startSimWithClients, type SimWithClients } from './sim-clients';

/** The campus the e2e benchmark uses: 15,000 GPU nodes and 20,000 pods held in memory, listed and watched through client-node. */
describe('kube-sim at campus scale', () => {
  let env: SimWithClients;
  const figures: Record<string, string> = {};
  const timed = async <T>(label: string, work: () => Promise<T> | T): Promise<T> => {
    const start = performance.now();
    const result = await work();
    figures[label] = `${Math.round(performance.now() - start)} ms`;
    return result;
  };

  beforeAll(async () => {
    const topology = generateTopology('campus-200mw');
    env = await timed('start with 15,000 nodes', () => startSimWithClients({ topology, kubeletDelayMs: 0 }));
  });
  afterAll(async () => {
    await env.sim.close();
    console.log(`kube-sim campus figures (informational, machine-dependent): ${JSON.stringify(figures)}`);
  });

  it('lists every node and selects GPU nodes by label', async () => {
    const nodes = await timed('list 15,000 nodes', () => env.core.listNode());
    expect(nodes.items).toHaveLength(15_000);
    const rack = nodes.items[123].metadata!.labels!['switchyard.io/rack'];
    const inRack = await env.core.listNode({ labelSelector: `switchyard.io/rack=${rack}` });
    expect(inRack.items.length).toBeGreaterThan(0);
    expect(inRack.items.every((n) => n.metadata?.labels?.['switchyard.io/rack'] === rack)).toBe(true);
  });

  it('holds 20,000 bound pods, and a watch from a list version sees only what came after', async () => {
    const pods = env.sim.api.type('', 'pods');
    const nodes = env.sim.store.list('nodes', undefined, false);
    await timed('create and bind 20,000 pods in process', () => {
      for (let i = 0; i < 20_000; i++) {
        const name = `campus-${i}`;
        env.sim.api.create(pods, 'v1', 'default', pod(name));
        env.sim.api.bindPod('default', name, { target: { kind: 'Node', name: nodes[i % nodes.length].metadata.name } });
      }
    });
    const listed = await timed('list 20,000 pods', () => env.core.listNamespacedPod({ namespace: 'default' }));
    expect(listed.items).toHaveLength(20_000);
    const onNode = await timed('pods on one node (field selector)', () =>
      env.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodes[7].metadata.name}` }),
    );
    expect(onNode.items.map((p) => p.metadata?.name).sort()).toEqual(['campus-15007', 'campus-7']);
    const seen: string[] = [];
    const controller = await new k8s.Watch(env.kc).watch(
      '/api/v1/namespaces/default/pods',
      { resourceVersion: listed.metadata?.resourceVersion },
      (type, obj: k8s.V1Pod) => seen.push(`${type} ${obj.metadata?.name}`),
      () => undefined,
    );
    await env.core.deleteNamespacedPod({ namespace: 'default', name: 'campus-0', gracePeriodSeconds: 0 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    // Only the deletion: the kubelet's Running updates came before the list version, or after it for pods already listed.
    expect(seen.filter((s) => s.startsWith('DELETED'))).toEqual(['DELETED campus-0']);
  });
});
