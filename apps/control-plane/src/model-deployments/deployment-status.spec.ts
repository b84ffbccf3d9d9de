import { computeDeploymentStatus, statusChanged } from './deployment-status';
import { buildReplicaPod } from './replica-plan';
import { asBound, modelDeployment } from '../scheduling/test/builders';

const now = new Date('2026-11-29T05:00:00Z');

describe('computeDeploymentStatus', () => {
  const md = modelDeployment({ replicas: 3, podsPerReplica: 2, gpu: { count: 8 } }, { generation: 4 });
  const r0 = [
    asBound(buildReplicaPod(md, null, 0, 0), 'n1', true),
    asBound(buildReplicaPod(md, null, 0, 1), 'n2', true),
  ];
  const r1 = [asBound(buildReplicaPod(md, null, 1, 0), 'n3'), asBound(buildReplicaPod(md, null, 1, 1), 'n4')];
  const r2 = [buildReplicaPod(md, null, 2, 0), buildReplicaPod(md, null, 2, 1)];
  const key = (p: { metadata?: { namespace?: string; name?: string } }) =>
    `${p.metadata?.namespace}/${p.metadata?.name}`;
  const allocations = new Map(
    [...r0, ...r1].map((p, i) => [
      key(p),
      {
        nodeName: p.spec?.nodeName ?? '',
        predictedWatts: 5600,
        powerLimitWatts: i === 3 ? 450 : null,
        gpus: '0=GPU-a',
      },
    ]),
  );

  it('counts replicas placed and ready, sums predicted watts and lists where each replica runs', () => {
    const status = computeDeploymentStatus({
      deployment: md,
      pods: [...r0, ...r1, ...r2],
      allocations,
      explanations: new Map(),
      now,
    });
    expect(status).toMatchObject({
      observedGeneration: 4,
      replicas: 3,
      placed: 2,
      ready: 1,
      predictedWatts: 22400,
      predictedKilowatts: 22.4,
      selector: 'switchyard.io/deployment=llava',
    });
    expect(status.replicaStatuses?.map((r) => [r.index, r.pods.map((p) => p.node ?? null), r.phase])).toEqual([
      [0, ['n1', 'n2'], 'Ready'],
      [1, ['n3', 'n4'], 'Placed'],
      [2, [null, null], 'Pending'],
    ]);
    expect(status.replicaStatuses?.[1].pods[1]).toMatchObject({ gpus: '0=GPU-a', powerLimitWatts: 450 });
    expect(status.conditions?.find((c) => c.type === 'Placed')).toMatchObject({
      status: 'False',
      reason: 'ReplicasPending',
      message: '2/3 replicas placed',
    });
    expect(status.conditions?.find((c) => c.type === 'PowerLimited')).toMatchObject({
      status: 'True',
      reason: 'PowerCapped',
    });
  });

  it('puts the explanation of a pending pod into the Unschedulable and PowerLimited conditions', () => {
    const explanations = new Map([
      [
        key(r2[0]),
        { message: '0/256 nodes fit: 256 rack power (needs 5.6 kW, best headroom 4.1 kW)', powerLimited: true },
      ],
    ]);
    const status = computeDeploymentStatus({
      deployment: md,
      pods: [...r0, ...r1, ...r2],
      allocations,
      explanations,
      now,
    });
    const unschedulable = status.conditions?.find((c) => c.type === 'Unschedulable');
    expect(unschedulable).toMatchObject({ status: 'True', reason: 'FailedScheduling' });
    expect(unschedulable?.message).toContain('0/256 nodes fit: 256 rack power');
    expect(status.replicaStatuses?.[2]).toMatchObject({
      phase: 'Unschedulable',
      message: expect.stringContaining('rack power'),
    });
    expect(status.conditions?.find((c) => c.type === 'PowerLimited')).toMatchObject({
      status: 'True',
      reason: 'PowerBudget',
    });
  });

  it('keeps a condition transition time while its status holds, and says when nothing changed', () => {
    const first = computeDeploymentStatus({
      deployment: md,
      pods: [...r0, ...r1, ...r2],
      allocations,
      explanations: new Map(),
      now,
    });
    const later = new Date(now.getTime() + 60_000);
    const second = computeDeploymentStatus({
      deployment: { ...md, status: first },
      pods: [...r0, ...r1, ...r2],
      allocations,
      explanations: new Map(),
      now: later,
    });
    expect(second.conditions?.map((c) => c.lastTransitionTime)).toEqual(
      first.conditions?.map((c) => c.lastTransitionTime),
    );
    expect(statusChanged(first, second)).toBe(false);
    const placedAll = computeDeploymentStatus({
      deployment: { ...md, spec: { ...md.spec, replicas: 2 }, status: first },
      pods: [...r0, ...r1],
      allocations,
      explanations: new Map(),
      now: later,
    });
    expect(placedAll.conditions?.find((c) => c.type === 'Placed')).toMatchObject({
      status: 'True',
      lastTransitionTime: later.toISOString(),
    });
    expect(statusChanged(first, placedAll)).toBe(true);
  });
});
