import { ClusterState } from '../cluster-state/cluster-state';
import { PodScheduler } from './pod-scheduler';
import { schedulingReadModel } from './scheduling-read-model';
import type { PodView } from './pod-model';
import type { SchedulingMetricsHook } from './scheduling-ports';
import { InvariantLedger, RecordingCluster, rackInventory } from './test/in-memory-ports';
import { allocationRow, asBound, gpuPod } from './test/builders';

const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A cluster state holding the rack inventory, as the runtime loads it. */
function loadedState(nodes: number, rackWatts: number): ClusterState {
  const state = new ClusterState({ logger });
  state.loadInventory({ ...rackInventory(nodes, rackWatts), overrides: [] });
  return state;
}

function setup(nodes = 2, rackWatts = 1e6, metrics: SchedulingMetricsHook = {}) {
  const ledger = new InvariantLedger();
  const cluster = new RecordingCluster();
  let clock = 0;
  const state = loadedState(nodes, rackWatts);
  const scheduler = new PodScheduler({
    state,
    ledger,
    cluster,
    logger,
    metrics,
    now: () => clock,
    options: { batchSize: 64, bindConcurrency: 4 },
  });
  return { ledger, cluster, scheduler, state, tick: (ms: number) => (clock += ms) };
}

async function drain(s: PodScheduler): Promise<void> {
  while ((await s.runOnce()) > 0);
}

describe('PodScheduler', () => {
  it('commits an allocation per pod, then binds it with its GPUs', async () => {
    const { ledger, cluster, scheduler } = setup();
    await scheduler.activate();
    for (let i = 0; i < 4; i += 1) scheduler.podChanged(gpuPod(`p${i}`, { gpus: 4 }));
    await drain(scheduler);
    expect(cluster.binds).toHaveLength(4);
    expect([...ledger.rows.values()].every((r) => r.state === 'bound' && r.gpus.length === 4)).toBe(true);
    expect(cluster.events.filter((e) => e.reason === 'Scheduled')).toHaveLength(4);
  });

  it('a pod that does not fit gets an explanation and one FailedScheduling event, and is retried after a release', async () => {
    const { ledger, cluster, scheduler, tick } = setup(1);
    await scheduler.activate();
    const big = gpuPod('big', { gpus: 8 });
    scheduler.podChanged(big);
    await drain(scheduler);
    scheduler.podChanged(gpuPod('late', { gpus: 1 }));
    await drain(scheduler);
    expect(scheduler.explanation('ml', 'late')?.message).toMatch(/0\/1 nodes fit/);
    expect(cluster.events.filter((e) => e.pod === 'late' && e.reason === 'FailedScheduling')).toHaveLength(1);
    tick(2000);
    await drain(scheduler);
    expect(cluster.events.filter((e) => e.pod === 'late' && e.reason === 'FailedScheduling')).toHaveLength(1); // nothing changed: not retried, not repeated
    scheduler.podDeleted(asBound(big, 'n0'));
    tick(2000);
    await drain(scheduler);
    expect(cluster.binds.map((b) => b.name)).toEqual(['big', 'late']);
    expect([...ledger.rows.values()].map((r) => r.podName)).toEqual(['late']);
    expect(scheduler.explanation('ml', 'late')).toBeUndefined();
  });

  it('bad pods are explained, not crashed on: 9 GPUs and an unknown product', async () => {
    const { cluster, scheduler } = setup();
    await scheduler.activate();
    scheduler.podChanged(gpuPod('nine', { gpus: 9 }));
    scheduler.podChanged(gpuPod('tpu', { gpus: 1, annotations: { 'switchyard.io/gpu-products': 'TPU-v5' } }));
    await drain(scheduler);
    expect(cluster.binds).toEqual([]);
    const failed = cluster.events.filter((e) => e.reason === 'FailedScheduling');
    expect(failed.find((e) => e.pod === 'nine')?.message).toMatch(/9 GPUs requested but no node has more than 8/);
    expect(failed.find((e) => e.pod === 'tpu')?.message).toMatch(/unknown GPU product "TPU-v5"/);
  });

  it('explains power: pods wait when the rack budget, not the GPUs, is the limit', async () => {
    const { cluster, scheduler } = setup(2, 6000);
    await scheduler.activate();
    scheduler.podChanged(gpuPod('a', { gpus: 8, annotations: { 'switchyard.io/watts-per-gpu': '700' } }));
    scheduler.podChanged(gpuPod('b', { gpus: 8, annotations: { 'switchyard.io/watts-per-gpu': '700' } }));
    await drain(scheduler);
    expect(cluster.binds).toHaveLength(1);
    const waiting = scheduler.explanation('ml', cluster.binds[0].name === 'a' ? 'b' : 'a');
    expect(waiting?.powerLimited).toBe(true);
    expect(waiting?.message).toMatch(/rack power/);
  });

  it('the read model gives explanations and allocations from the scheduler and budget pressure from the state', async () => {
    const { cluster, scheduler, state } = setup(2, 6000);
    const readModel = schedulingReadModel(scheduler, state);
    await scheduler.activate();
    const watts = { 'switchyard.io/watts-per-gpu': '700' };
    scheduler.podChanged(gpuPod('a', { gpus: 8, annotations: watts }));
    scheduler.podChanged(gpuPod('b', { gpus: 8, annotations: watts }));
    await drain(scheduler);
    const [bound] = cluster.binds;
    const waiting = bound.name === 'a' ? 'b' : 'a';
    expect(readModel.allocationOf('ml', bound.name)?.nodeName).toBe(bound.nodeName);
    expect(readModel.allocationOf('ml', waiting)).toBeUndefined();
    expect(readModel.explanation('ml', waiting)?.message).toMatch(/rack power/);
    expect([...readModel.explanationsFor('ml', ['a', 'b']).keys()]).toEqual([`ml/${waiting}`]);
    expect(readModel.budgetPressure(bound.nodeName)).toBe(state.budgetPressure(bound.nodeName));
    expect(readModel.budgetPressure(bound.nodeName)).toBeGreaterThan(0.5); // most of the 6 kW rack is used
    expect(readModel.budgetPressure('no-such-node')).toBe(0);
  });

  it('a gang waits for all members and binds all of them', async () => {
    const { cluster, scheduler } = setup(4);
    await scheduler.activate();
    const member = (i: number) =>
      gpuPod(`g${i}`, {
        gpus: 8,
        labels: {
          'switchyard.io/gang': 'llava-0',
          'switchyard.io/gang-size': '3',
          'switchyard.io/gang-member': String(i),
        },
      });
    scheduler.podChanged(member(0));
    scheduler.podChanged(member(1));
    await drain(scheduler);
    expect(cluster.binds).toEqual([]);
    expect(scheduler.explanation('ml', 'g0')?.message).toMatch(/waiting for the gang: 2\/3/);
    scheduler.podChanged(member(2));
    await drain(scheduler);
    expect(cluster.binds.map((b) => b.name).sort()).toEqual(['g0', 'g1', 'g2']);
    expect(new Set(cluster.binds.map((b) => b.nodeName)).size).toBe(3);
  });

  it('a placed gang is not decided again while a member terminates; the member recreated is placed with the rest', async () => {
    const { cluster, scheduler, tick } = setup(4);
    await scheduler.activate();
    const gang = { 'switchyard.io/gang': 'x', 'switchyard.io/gang-size': '2' };
    const member = (i: number) =>
      gpuPod(`g${i}`, { gpus: 8, labels: { ...gang, 'switchyard.io/gang-member': String(i) } });
    const [g0, g1] = [member(0), member(1)];
    scheduler.podChanged(g0);
    scheduler.podChanged(g1);
    await drain(scheduler);
    const nodeOf = new Map(cluster.binds.map((b) => [b.name, b.nodeName]));
    for (const p of [g0, g1]) scheduler.podChanged(asBound(p, nodeOf.get(p.metadata?.name ?? '') ?? '', true));
    const terminating = asBound(g0, nodeOf.get('g0') ?? '', true);
    scheduler.podChanged({ ...terminating, metadata: { ...terminating.metadata, deletionTimestamp: 'now' } });
    const taken: number[] = [];
    for (let cycle = 0; cycle < 5; cycle += 1) {
      tick(20_000);
      taken.push(await scheduler.runOnce());
    }
    expect(taken).toEqual([0, 0, 0, 0, 0]); // nothing to decide: both members are placed
    scheduler.podDeleted(terminating);
    scheduler.podChanged({ ...g0, metadata: { ...g0.metadata, uid: 'uid-g0-recreated' } });
    await drain(scheduler);
    expect(cluster.binds.map((b) => b.name)).toEqual(['g0', 'g1', 'g0']);
    expect(scheduler.stats().queued).toBe(0);
  });

  it('a failed bind releases the allocation; a database outage undoes the decision; both are retried', async () => {
    const { ledger, cluster, scheduler, tick } = setup();
    await scheduler.activate();
    cluster.answer = () => new Error('503 Service Unavailable');
    ledger.failNextCommit = true;
    scheduler.podChanged(gpuPod('p', { gpus: 2 }));
    await drain(scheduler);
    expect(ledger.rows.size).toBe(0);
    tick(1000);
    await drain(scheduler); // commit works now, the bind fails
    await scheduler.flushLedger();
    expect(ledger.rows.size).toBe(0);
    cluster.answer = () => 'bound';
    tick(5000);
    await drain(scheduler);
    expect(cluster.binds.map((b) => b.name)).toEqual(['p']);
    expect(ledger.rows.size).toBe(1);
  });

  it('a bind whose answer was lost but which happened keeps its allocation', async () => {
    const { ledger, cluster, scheduler } = setup();
    await scheduler.activate();
    cluster.answer = (name) => {
      cluster.boundAnyway.set(name, 'n0');
      return new Error('socket hang up');
    };
    scheduler.podChanged(gpuPod('p', { gpus: 8 }));
    await drain(scheduler);
    await scheduler.flushLedger();
    expect([...ledger.rows.values()].map((r) => [r.podName, r.nodeName, r.state])).toEqual([['p', 'n0', 'bound']]);
    expect(scheduler.allocationOf('ml', 'p')?.nodeName).toBe('n0');
  });

  it('rebuilds on activation: adopts bound pods, releases allocations without a pod, never allocates twice', async () => {
    const { ledger, cluster, scheduler } = setup(1);
    await scheduler.activate();
    const pods: PodView[] = [0, 1].map((i) => gpuPod(`p${i}`, { gpus: 4 }));
    for (const p of pods) scheduler.podChanged(p);
    await drain(scheduler);
    const bound = cluster.binds.map((b) =>
      asBound(
        {
          ...pods.find((p) => p.metadata?.name === b.name)!,
          metadata: {
            ...pods.find((p) => p.metadata?.name === b.name)!.metadata,
            annotations: { 'switchyard.io/gpus': b.gpus.map((g) => `${g.index}=GPU-n0-${g.index}`).join(',') },
          },
        },
        b.nodeName,
      ),
    );
    // A new leader: p0 is bound and has its row; p1 is bound but its row was lost; a row exists for a pod that is gone.
    const p1Uid = bound[1].metadata?.uid as string;
    ledger.rows.delete(p1Uid);
    ledger.rows.set('ghost', allocationRow('ghost'));
    const next = new PodScheduler({ state: loadedState(1, 1e6), ledger, cluster, logger, now: () => 0 });
    for (const p of bound) next.podChanged(p);
    const result = await next.activate();
    expect(result).toEqual({ adopted: 1, released: 1, pending: 0 });
    expect([...ledger.rows.keys()].sort()).toEqual([bound[0].metadata?.uid, p1Uid].sort());
    // The node is full: a new pod must not be given the adopted GPUs.
    next.podChanged(gpuPod('p2', { gpus: 1 }));
    await drain(next);
    expect(cluster.binds.map((b) => b.name)).toEqual(['p0', 'p1']);
    expect(next.explanation('ml', 'p2')?.message).toMatch(/0\/1 nodes fit/);
  });

  it('a bound pod without an allocation is adopted from the GPUs its annotations name, malformed entries skipped', async () => {
    const { ledger, scheduler } = setup(1);
    const annotations = {
      'switchyard.io/gpus': '0=GPU-n0-0,x=bad,1=GPU-n0-1,1=GPU-n0-1,99=GPU-beyond-the-node',
      'switchyard.io/power-limit-watts': '450',
    };
    scheduler.podChanged(asBound(gpuPod('p', { gpus: 2, annotations }), 'n0', true));
    expect(await scheduler.activate()).toEqual({ adopted: 1, released: 0, pending: 0 });
    const [row] = [...ledger.rows.values()];
    expect(row.gpus.map((g) => [g.index, g.uuid])).toEqual([
      [0, 'GPU-n0-0'],
      [1, 'GPU-n0-1'],
    ]);
    expect(row.powerLimitWatts).toBe(450);
    expect(scheduler.allocationOf('ml', 'p')?.state).toBe('bound');
  });

  it('higher priority preempts lower through an eviction, then takes its place once it is gone', async () => {
    const { cluster, scheduler, tick } = setup(1);
    await scheduler.activate();
    const low = gpuPod('low', { gpus: 8, labels: { 'switchyard.io/priority': 'batch' } });
    scheduler.podChanged(low);
    await drain(scheduler);
    scheduler.podChanged(gpuPod('vip', { gpus: 8, labels: { 'switchyard.io/priority': 'critical' } }));
    scheduler.podChanged(gpuPod('peer', { gpus: 8, labels: { 'switchyard.io/priority': 'batch' } }));
    await drain(scheduler);
    expect(cluster.evictions).toEqual(['low']); // only the critical pod may preempt, and only lower priority
    expect(cluster.events.some((e) => e.pod === 'low' && e.reason === 'Preempted')).toBe(true);
    scheduler.podDeleted(asBound(low, 'n0'));
    tick(2000);
    await drain(scheduler);
    expect(cluster.binds.map((b) => b.name)).toEqual(['low', 'vip']);
  });

  it('a commit whose reply was lost is not refused forever: its stale row is released and the pod bound once', async () => {
    const { ledger, cluster, scheduler, tick } = setup();
    await scheduler.activate();
    ledger.loseNextCommitReply = true; // durable, but the scheduler sees an error
    scheduler.podChanged(gpuPod('p', { gpus: 2 }));
    await drain(scheduler);
    expect(cluster.binds).toEqual([]);
    expect(ledger.rows.size).toBe(1); // the lost-reply row
    tick(1000);
    await drain(scheduler); // refused as already allocated -> released -> retried at once
    expect(cluster.binds.map((b) => b.name)).toEqual(['p']);
    await scheduler.flushLedger();
    expect([...ledger.rows.values()].map((r) => [r.podName, r.state, r.nodeName])).toEqual([
      ['p', 'bound', cluster.binds[0].nodeName],
    ]);
  });

  it('a pod deleted after a commit whose reply was lost does not leave its row behind', async () => {
    const { ledger, scheduler } = setup();
    await scheduler.activate();
    ledger.loseNextCommitReply = true;
    const pod = gpuPod('gone', { gpus: 2 });
    scheduler.podChanged(pod);
    await drain(scheduler);
    expect(ledger.rows.size).toBe(1);
    scheduler.podDeleted(pod);
    await scheduler.flushLedger();
    expect(ledger.rows.size).toBe(0);
  });

  it('a gang preempts lower-priority pods on several nodes, then binds all or nothing', async () => {
    const { cluster, scheduler, tick } = setup(2);
    await scheduler.activate();
    const low = [0, 1, 2, 3].map((i) => gpuPod(`low${i}`, { gpus: 4, labels: { 'switchyard.io/priority': 'batch' } }));
    for (const p of low) scheduler.podChanged(p);
    await drain(scheduler);
    expect(cluster.binds).toHaveLength(4);
    const member = (i: number) =>
      gpuPod(`g${i}`, {
        gpus: 8,
        labels: {
          'switchyard.io/priority': 'critical',
          'switchyard.io/gang': 'big-0',
          'switchyard.io/gang-size': '2',
          'switchyard.io/gang-member': String(i),
        },
      });
    scheduler.podChanged(member(0));
    scheduler.podChanged(member(1));
    await drain(scheduler);
    expect([...cluster.evictions].sort()).toEqual(['low0', 'low1', 'low2', 'low3']);
    const preempted = cluster.events.filter((e) => e.reason === 'Preempted');
    expect(preempted).toHaveLength(4);
    expect(preempted.every((e) => /to make room on n\d, n\d$/.test(e.message))).toBe(true);
    // Victims go one by one; the gang binds only once both nodes are free.
    scheduler.podDeleted(asBound(low[0], cluster.binds[0].nodeName));
    tick(2000);
    await drain(scheduler);
    expect(cluster.binds.filter((b) => b.name.startsWith('g'))).toEqual([]);
    for (const p of low.slice(1)) scheduler.podDeleted(asBound(p, 'n0'));
    tick(5000);
    await drain(scheduler);
    const gang = cluster.binds.filter((b) => b.name.startsWith('g'));
    expect(gang.map((b) => b.name).sort()).toEqual(['g0', 'g1']);
    expect(new Set(gang.map((b) => b.nodeName)).size).toBe(2);
  });

  it('the room freed by preemption is held for the preemptor, not taken by a replacement of lower priority', async () => {
    const { cluster, scheduler, tick } = setup(1);
    await scheduler.activate();
    const batch = { 'switchyard.io/priority': 'batch' };
    const low = [0, 1].map((i) => gpuPod(`low${i}`, { gpus: 4, labels: batch }));
    for (const p of low) scheduler.podChanged(p);
    await drain(scheduler);
    scheduler.podChanged(gpuPod('vip', { gpus: 8, labels: { 'switchyard.io/priority': 'critical' } }));
    await drain(scheduler);
    expect([...cluster.evictions].sort()).toEqual(['low0', 'low1']);
    scheduler.podDeleted(asBound(low[0], 'n0'));
    scheduler.podChanged(gpuPod('low0-replacement', { gpus: 4, labels: batch })); // a controller recreates it
    tick(2000);
    await drain(scheduler);
    expect(cluster.binds.map((b) => b.name)).toEqual(['low0', 'low1']);
    expect(scheduler.explanation('ml', 'low0-replacement')?.message).toMatch(/n0 reserved for ml\/vip/);
    scheduler.podDeleted(asBound(low[1], 'n0'));
    tick(5000);
    await drain(scheduler);
    expect(cluster.binds.map((b) => b.name)).toEqual(['low0', 'low1', 'vip']);
    expect(scheduler.explanation('ml', 'low0-replacement')?.message).toMatch(/0\/1 nodes fit/);
  });

  it('each victim is evicted, evented and counted once while it terminates, however many preemptors replan', async () => {
    const counted: number[] = [];
    const { cluster, scheduler, state, tick } = setup(1, 1e6, { preemption: (victims) => counted.push(victims) });
    await scheduler.activate();
    const low = [0, 1].map((i) => gpuPod(`low${i}`, { gpus: 4, labels: { 'switchyard.io/priority': 'batch' } }));
    for (const p of low) scheduler.podChanged(p);
    await drain(scheduler);
    for (const i of [0, 1, 2])
      scheduler.podChanged(gpuPod(`vip${i}`, { gpus: 8, labels: { 'switchyard.io/priority': 'critical' } }));
    for (let cycle = 0; cycle < 50; cycle += 1) {
      // The victims terminate slowly (a grace period): the informer shows them deleting, still on n0.
      for (const p of low)
        scheduler.podChanged({ ...asBound(p, 'n0', true), metadata: { ...p.metadata, deletionTimestamp: 'now' } });
      state.scopeChanged('rack', { capacityWatts: 1e6 + cycle }); // something changes: waiting pods are retried
      tick(11_000);
      await drain(scheduler);
    }
    expect(cluster.binds.map((b) => b.name)).toEqual(['low0', 'low1']);
    expect([...cluster.evictions].sort()).toEqual(['low0', 'low1']);
    const preempted = cluster.events.filter((e) => e.reason === 'Preempted').map((e) => e.pod);
    expect(preempted.sort()).toEqual(['low0', 'low1']);
    expect(counted.reduce((a, b) => a + b, 0)).toBe(2);
    // Once they are gone one preemptor takes the node; the others wait without evicting anything more.
    for (const p of low) scheduler.podDeleted(asBound(p, 'n0'));
    tick(11_000);
    await drain(scheduler);
    expect(cluster.binds.map((b) => b.name).filter((n) => n.startsWith('vip'))).toHaveLength(1);
    expect(cluster.evictions).toHaveLength(2);
  });

  it('a refused eviction is neither evented nor counted; the preemptor plans again once something changes', async () => {
    const counted: number[] = [];
    const { cluster, scheduler, state, tick } = setup(1, 1e6, { preemption: (victims) => counted.push(victims) });
    await scheduler.activate();
    const low = gpuPod('low', { gpus: 8, labels: { 'switchyard.io/priority': 'batch' } });
    scheduler.podChanged(low);
    await drain(scheduler);
    cluster.refuseEviction.add('low');
    scheduler.podChanged(gpuPod('vip', { gpus: 8, labels: { 'switchyard.io/priority': 'critical' } }));
    await drain(scheduler);
    expect(cluster.evictions).toEqual([]);
    expect(cluster.events.filter((e) => e.reason === 'Preempted')).toEqual([]);
    expect(counted).toEqual([]);
    cluster.refuseEviction.clear();
    state.scopeChanged('rack', { capacityWatts: 2e6 });
    tick(11_000);
    await drain(scheduler);
    expect(cluster.evictions).toEqual(['low']);
    expect(cluster.events.filter((e) => e.reason === 'Preempted').map((e) => e.pod)).toEqual(['low']);
    expect(counted).toEqual([1]);
  });

  it('repeated node conditions retry nothing; a raised budget is applied without a rebuild and retries', async () => {
    const { cluster, scheduler, state, tick } = setup(2, 6000);
    await scheduler.activate();
    const nodesReported = () => {
      for (const n of ['n0', 'n1']) state.setNodeCondition(n, { ready: true, schedulable: true });
    };
    nodesReported(); // as the runtime does after each inventory load
    const builds = state.stats().engineBuilds;
    const watts = { 'switchyard.io/watts-per-gpu': '700' };
    scheduler.podChanged(gpuPod('a', { gpus: 8, annotations: watts }));
    scheduler.podChanged(gpuPod('b', { gpus: 8, annotations: watts }));
    await drain(scheduler);
    expect(cluster.binds).toHaveLength(1);
    tick(60_000); // any backoff is over: only a retry would attempt the waiting pod again
    nodesReported(); // repeated by every refresh: no change, no retry
    expect(await scheduler.runOnce()).toBe(0);
    state.scopeChanged('rack', { capacityWatts: 20_000 }); // the rack budget was raised
    expect(state.stats().engineBuilds).toBe(builds);
    await drain(scheduler);
    expect(cluster.binds.map((b) => b.name).sort()).toEqual(['a', 'b']);
    expect(state.overBudget()).toEqual([]);
  });

  it('reports waiting pods by main reason, engine time per unit, and forgets pods once placed', async () => {
    const unschedulable = new Map<string, number>();
    const decisions: number[] = [];
    const ledger = new InvariantLedger();
    const cluster = new RecordingCluster();
    let clock = 0;
    const scheduler = new PodScheduler({
      state: loadedState(1, 1e6),
      ledger,
      cluster,
      logger,
      now: () => clock,
      metrics: {
        unschedulablePods: (reason, pods) => unschedulable.set(reason, pods),
        decisionLatency: (seconds) => decisions.push(seconds),
      },
    });
    await scheduler.activate();
    const big = gpuPod('big', { gpus: 8 });
    scheduler.podChanged(big);
    await drain(scheduler);
    scheduler.podChanged(gpuPod('late', { gpus: 1 }));
    scheduler.podChanged(gpuPod('nine', { gpus: 9 }));
    await drain(scheduler);
    expect(Object.fromEntries(unschedulable)).toEqual({ gpus: 1, 'invalid-request': 1 });
    expect(decisions.length).toBe(2); // big and late reached the engine; nine did not
    expect(decisions.every((s) => s >= 0)).toBe(true);
    scheduler.podDeleted(asBound(big, 'n0'));
    clock += 2000;
    await drain(scheduler);
    expect(cluster.binds.map((b) => b.name)).toEqual(['big', 'late']);
    expect(Object.fromEntries(unschedulable)).toEqual({ gpus: 0, 'invalid-request': 1 });
    scheduler.deactivate();
    expect(Object.fromEntries(unschedulable)).toEqual({ gpus: 0, 'invalid-request': 0 });
  });

  it('does nothing while not active (a follower)', async () => {
    const { cluster, scheduler } = setup();
    scheduler.podChanged(gpuPod('p', { gpus: 1 }));
    expect(await scheduler.runOnce()).toBe(0);
    await scheduler.activate();
    await drain(scheduler);
    expect(cluster.binds).toHaveLength(1);
  });
});
