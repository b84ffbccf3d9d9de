/**
 * A commit whose reply was lost (the database crashed after COMMIT) leaves a row for a pod the
 * scheduler never placed; the retry is then refused as `pod-already-allocated`. Made
 * deterministic here: the row is inserted through the repository for a pending gang member
 * (a gang waits for all its members, so the scheduler cannot have placed it), then the gang
 * is completed. The pod must still be bound exactly once, with one allocation that matches
 * where it is (the real PostgreSQL server, the embedded Kubernetes API).
 */
import type { PodObject } from '@switchyard/kube';
import type { KubernetesRuntime } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import {
  boundPods,
  eventually,
  expectAllocationsMatchPods,
  openWorld,
  settledAllocations,
  startLeadingEmbeddedRuntime,
  type E2eWorld,
} from './e2e-support';

describe('a stale allocation row from a lost commit reply (PostgreSQL, embedded API)', () => {
  let world: E2eWorld;
  let runtime: KubernetesRuntime;

  beforeAll(async () => {
    world = await openWorld();
    runtime = await startLeadingEmbeddedRuntime(world, 20);
  }, 60_000);

  afterAll(async () => {
    await runtime?.close();
    await world?.dispose();
  });

  const member = (i: number): PodObject =>
    ({
      metadata: {
        name: `lost-${i}`,
        namespace: 'default',
        labels: {
          'switchyard.io/gang': 'lost',
          'switchyard.io/gang-size': '2',
          'switchyard.io/gang-member': String(i),
          'switchyard.io/priority': 'standard',
        },
      },
      spec: {
        schedulerName: 'switchyard',
        containers: [{ name: 'c', image: 'busybox', resources: { limits: { 'nvidia.com/gpu': '2' } } }],
      },
    }) as PodObject;

  it('releases the stale row and binds the pod once, with one allocation', async () => {
    const cluster = runtime.cluster;
    const first = await cluster.pods.create(member(0));
    const uid = first.metadata.uid as string;
    await eventually(
      () => /waiting for the gang/.test(runtime.scheduler.explanation('default', 'lost-0')?.message ?? ''),
      10_000,
      'the first member waits for its gang',
    );
    // What a lost-reply commit leaves behind: a reserved row for the pending pod, on some node.
    const node = world.topology.nodes[0].name;
    const stale = await world.inventory.allocations.create({
      podUid: uid,
      podNamespace: 'default',
      podName: 'lost-0',
      nodeName: node,
      gpus: [
        { index: 6, shareMilli: 1000 },
        { index: 7, shareMilli: 1000 },
      ],
      predictedWatts: 1400,
      priority: 'standard',
    });
    expect(stale.state).toBe('reserved');

    await cluster.pods.create(member(1));
    const bound = await boundPods(cluster, 'lost-', 2, 20_000, 'both members bound');
    const rows = await settledAllocations(world.inventory, 2, 10_000, 'one bound allocation per member');
    expectAllocationsMatchPods(bound, rows);
    // The first member is the same pod (bound once, never recreated), and the stale row is gone.
    expect(bound.find((p) => p.metadata.name === 'lost-0')?.metadata.uid).toBe(uid);
    expect(rows.some((r) => r.id === stale.id)).toBe(false);
    expect(runtime.state.overBudget()).toEqual([]);
  }, 60_000);
});
