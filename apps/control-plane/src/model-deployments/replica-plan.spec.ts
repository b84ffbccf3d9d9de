import type { PodView } from '../scheduling/pod-model';
import { buildReplicaPod, planReplicas, templateHash } from './replica-plan';
import { translatePod } from '../scheduling/pod-request';
import { asBound, catalog, modelDeployment } from '../scheduling/test/builders';

const names = (pods: readonly PodView[]) => pods.map((p) => p.metadata?.name).sort();

describe('planReplicas', () => {
  it('creates every member of every replica, owned by the deployment and addressed to switchyard', () => {
    const md = modelDeployment({ replicas: 2, podsPerReplica: 2, gpu: { count: 8 }, topology: { gangScope: 'rack' } });
    const plan = planReplicas({ deployment: md, pods: [] });
    const h = templateHash(md);
    expect(names(plan.create)).toEqual([`llava-${h}-0-0`, `llava-${h}-0-1`, `llava-${h}-1-0`, `llava-${h}-1-1`]);
    const pod = plan.create[0];
    expect(pod.spec?.schedulerName).toBe('switchyard');
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'ModelDeployment',
      name: 'llava',
      uid: 'md-uid',
      controller: true,
    });
    expect(pod.metadata?.labels).toMatchObject({
      'switchyard.io/deployment': 'llava',
      'switchyard.io/gang-size': '2',
      'switchyard.io/priority': 'high',
      'switchyard.io/tenant': 'vision',
    });
    expect(plan.delete).toEqual([]);
  });

  it('the pods it builds translate back into the request the spec describes', () => {
    const md = modelDeployment({
      gpu: { milli: 250, products: ['NVIDIA-L40S'] },
      power: { wattsPerGpu: 300, cappingAllowed: true, minWattsPerGpu: 200 },
    });
    const r = translatePod(buildReplicaPod(md, null, 0, 0), catalog);
    if (!r.ok) throw new Error(r.rejection.message);
    expect(r.request).toMatchObject({
      gpuCount: 1,
      gpuMilli: 250,
      allowedProducts: ['NVIDIA-L40S'],
      wattsPerGpu: 300,
      capping: { limitWatts: 200 },
      priority: 'high',
      tenant: 'vision',
      gang: null,
      deploymentKey: 'ml/llava',
      spread: true,
    });
    const gang = translatePod(
      buildReplicaPod(
        modelDeployment({ podsPerReplica: 2, gpu: { count: 8 }, topology: { gangScope: 'row' } }),
        null,
        3,
        1,
      ),
      catalog,
    );
    if (!gang.ok) throw new Error(gang.rejection.message);
    expect(gang.request.gang).toMatchObject({ size: 2, member: 1, scope: 'row' });
  });

  it('is idempotent: nothing to do when every pod exists', () => {
    const md = modelDeployment({ replicas: 3 });
    const first = planReplicas({ deployment: md, pods: [] });
    expect(planReplicas({ deployment: md, pods: first.create })).toEqual({
      templateHash: first.templateHash,
      create: [],
      delete: [],
    });
  });

  it('scales up into the lowest free replica indices', () => {
    const md = modelDeployment({ replicas: 3 });
    const existing = [buildReplicaPod(md, null, 1, 0)];
    expect(names(planReplicas({ deployment: md, pods: existing }).create)).toEqual(
      names([buildReplicaPod(md, null, 0, 0), buildReplicaPod(md, null, 2, 0)]),
    );
  });

  it('scales down unplaced replicas first, then those on the tightest budget', () => {
    const md = modelDeployment({ replicas: 4 });
    const pods = [
      asBound(buildReplicaPod(md, null, 0, 0), 'n-cool'),
      asBound(buildReplicaPod(md, null, 1, 0), 'n-hot'),
      buildReplicaPod(md, null, 2, 0),
      asBound(buildReplicaPod(md, null, 3, 0), 'n-warm'),
    ];
    const pressure = (node: string) => ({ 'n-cool': 0.1, 'n-hot': 0.9, 'n-warm': 0.5 })[node] ?? 0;
    const down = (replicas: number) =>
      planReplicas({ deployment: { ...md, spec: { ...md.spec, replicas } }, pods, budgetPressure: pressure });
    expect(down(3).delete.map((d) => d.name)).toEqual([pods[2].metadata?.name]);
    expect(
      down(2)
        .delete.map((d) => d.name)
        .sort(),
    ).toEqual(names([pods[1], pods[2]]));
    expect(
      down(1)
        .delete.map((d) => d.name)
        .sort(),
    ).toEqual(names([pods[1], pods[2], pods[3]]));
    expect(down(0).delete).toHaveLength(4);
    expect(down(2).create).toEqual([]);
  });

  it('rolls a template change within maxUnavailable, replacing unavailable replicas first for free', () => {
    const v1 = modelDeployment({ replicas: 3, maxUnavailable: 1 });
    const ready = [0, 1, 2].map((i) => asBound(buildReplicaPod(v1, null, i, 0), `n${i}`, true));
    const v2 = modelDeployment({ replicas: 3, maxUnavailable: 1, image: 'model:v2' });
    const plan = planReplicas({ deployment: v2, pods: ready });
    expect(plan.delete).toEqual([{ name: ready[0].metadata?.name, reason: 'rollout' }]);
    expect(names(plan.create)).toEqual([`llava-${templateHash(v2)}-0-0`]);

    // Replica 0 now runs v2 but is not ready: no further old replica may go down.
    const midway = [plan.create[0], ready[1], ready[2]];
    expect(planReplicas({ deployment: v2, pods: midway })).toMatchObject({ create: [], delete: [] });
    // An old replica that is already down is replaced without using the budget.
    const broken = [plan.create[0], { ...ready[1], status: { phase: 'Running', conditions: [] } }, ready[2]];
    expect(planReplicas({ deployment: v2, pods: broken }).delete.map((d) => d.name)).toEqual([ready[1].metadata?.name]);
  });

  it('with maxUnavailable 0 it surges one replica and drops the old pods once the new ones are ready', () => {
    const v1 = modelDeployment({ replicas: 2, maxUnavailable: 0 });
    const ready = [0, 1].map((i) => asBound(buildReplicaPod(v1, null, i, 0), `n${i}`, true));
    const v2 = modelDeployment({ replicas: 2, maxUnavailable: 0, image: 'model:v2' });
    const plan = planReplicas({ deployment: v2, pods: ready });
    expect(plan.delete).toEqual([]);
    expect(plan.create).toHaveLength(1);
    const newReady = asBound(plan.create[0], 'n9', true);
    expect(planReplicas({ deployment: v2, pods: [...ready, newReady] }).delete).toEqual([
      { name: ready[0].metadata?.name, reason: 'rollout' },
    ]);
  });

  it('does not recreate a pod whose namesake is still terminating, and deletes pods it cannot place in a replica', () => {
    const md = modelDeployment({ replicas: 1 });
    const terminating = {
      ...buildReplicaPod(md, null, 0, 0),
      metadata: { ...buildReplicaPod(md, null, 0, 0).metadata, deletionTimestamp: '2026-01-01T00:00:00Z' },
    };
    const stray: PodView = { metadata: { name: 'stray', namespace: 'ml', labels: {} }, spec: {} };
    const plan = planReplicas({ deployment: md, pods: [terminating, stray] });
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([{ name: 'stray', reason: 'orphan' }]);
  });
});
