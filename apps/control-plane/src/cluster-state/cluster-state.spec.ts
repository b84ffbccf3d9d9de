import { placementBuilders as b, type ReplicaRequest } from '@switchyard/placement';
import { BudgetSchedule } from './budget-schedule';
import { ClusterState, type LoadedInventory } from './cluster-state';

const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** One rack of two 8-GPU nodes; 700 W per GPU, so one full node predicts 5.6 kW. */
function inventory(rackWatts = 100_000): LoadedInventory {
  const cluster = {
    scopes: [
      b.scope('site', 'site', null, 1e9),
      b.scope('hall', 'hall', 'site', 1e8),
      b.scope('row', 'row', 'hall', 1e7),
      b.scope('rack', 'rack', 'row', rackWatts),
    ],
    nodes: [b.node('n0', 'rack', { gpuCount: 8 }), b.node('n1', 'rack', { gpuCount: 8 })],
    tenants: [],
  };
  return {
    cluster,
    overrides: [],
    gpuUuids: new Map(cluster.nodes.map((n) => [n.id, n.gpus.map((_, g) => `GPU-${n.id}-${g}`)])),
    products: new Map([['NVIDIA-H200', { memoryMiB: 143_771, tdpWatts: 700 }]]),
  };
}

function fullNode(id: string): ReplicaRequest {
  return b.replica(id, { gpuCount: 8, wattsPerGpu: 700 });
}

function setup(now: { t: number }, rackWatts?: number) {
  const state = new ClusterState({ logger, now: () => now.t });
  const changes: string[] = [];
  state.onChange((c) => changes.push(c));
  state.loadInventory(inventory(rackWatts));
  state.activate();
  return { state, changes };
}

afterEach(() => jest.useRealTimers());

describe('ClusterState', () => {
  it('an override created now reaches the next placement decision, without a rebuild', () => {
    const now = { t: Date.parse('2026-12-01T12:00:00Z') };
    const { state } = setup(now);
    const builds = state.stats().engineBuilds;
    state.overrideSaved({
      id: 'o1',
      scopeId: 'rack',
      watts: 5_000,
      startsAt: new Date(now.t - 1000),
      endsAt: new Date(now.t + 3600_000),
    });
    const refused = state.place(fullNode('a'));
    expect(refused.placed).toBe(false);
    expect(refused.placed ? [] : refused.explanation.reasons.map((r) => r.reason)).toContain('rack-power');
    expect(state.budgetWatts('rack')).toBe(5_000);
    state.overrideCancelled('o1');
    expect(state.place(fullNode('a')).placed).toBe(true);
    expect(state.stats().engineBuilds).toBe(builds);
  });

  it('a scheduled override starts and ends at its own time (one timer), and listeners hear of both', () => {
    jest.useFakeTimers({ now: Date.parse('2026-12-01T12:00:00Z') });
    const now = {
      get t() {
        return Date.now();
      },
    };
    const { state, changes } = setup(now);
    const start = Date.now() + 60_000;
    state.overrideSaved({
      id: 'o1',
      scopeId: 'rack',
      watts: 5_000,
      startsAt: new Date(start),
      endsAt: new Date(start + 60_000),
    });
    expect(state.place(fullNode('before')).placed).toBe(true); // not yet in force
    state.release('before');
    changes.length = 0;
    jest.advanceTimersByTime(60_000);
    expect(changes).toEqual(['budget']);
    expect(state.place(fullNode('during')).placed).toBe(false);
    jest.advanceTimersByTime(60_000);
    expect(changes).toEqual(['budget', 'budget']);
    expect(state.place(fullNode('after')).placed).toBe(true);
    expect(state.heldOverrides()).toEqual([]); // ended overrides are dropped
    state.close();
  });

  it('the lowest of overlapping overrides wins and never raises the nominal budget', () => {
    const now = { t: 1_000_000 };
    const { state } = setup(now, 10_000);
    const window = { startsAt: new Date(0), endsAt: new Date(2_000_000) };
    state.overrideSaved({ id: 'high', scopeId: 'rack', watts: 50_000, ...window });
    expect(state.budgetWatts('rack')).toBe(10_000);
    state.overrideSaved({ id: 'low', scopeId: 'rack', watts: 6_000, ...window });
    state.overrideSaved({ id: 'mid', scopeId: 'rack', watts: 8_000, ...window });
    expect(state.budgetWatts('rack')).toBe(6_000);
    state.overrideCancelled('low');
    expect(state.budgetWatts('rack')).toBe(8_000);
    state.close();
  });

  it('a scope PATCH is applied incrementally and announced', () => {
    const now = { t: 0 };
    const { state, changes } = setup(now, 6_000);
    expect(state.place(fullNode('a')).placed).toBe(true);
    expect(state.place(fullNode('b')).placed).toBe(false);
    const builds = state.stats().engineBuilds;
    state.scopeChanged('rack', { capacityWatts: 20_000 });
    expect(changes).toContain('budget');
    expect(state.place(fullNode('b')).placed).toBe(true);
    expect(state.stats().engineBuilds).toBe(builds);
    expect(state.overBudget()).toEqual([]);
    // A cut below what is placed is reported (the power loop acts on it), never refused.
    state.scopeChanged('rack', { capacityWatts: 1_000 });
    expect(state.overBudget().map((o) => o.scopeId)).toContain('rack');
  });

  it('node conditions announce only a node that comes up', () => {
    const { state, changes } = setup({ t: 0 });
    expect(state.setNodeCondition('n0', { ready: true, schedulable: true })).toBe(true);
    expect(state.setNodeCondition('n0', { ready: true, schedulable: true })).toBe(true);
    expect(changes.filter((c) => c === 'node')).toHaveLength(1);
    state.setNodeCondition('n0', { ready: false, schedulable: true });
    state.setNodeCondition('n0', { ready: true, schedulable: true });
    expect(changes.filter((c) => c === 'node')).toHaveLength(2);
    expect(state.setNodeCondition('unknown', { ready: true, schedulable: true })).toBe(false);
  });

  it('a reload keeps what is placed on nodes that remain, and the schedule it was given', () => {
    const now = { t: 1_000 };
    const { state } = setup(now);
    expect(state.place(fullNode('a')).placed).toBe(true);
    const loaded = inventory();
    state.loadInventory({
      ...loaded,
      overrides: [{ id: 'o', scopeId: 'rack', watts: 6_000, startsAt: new Date(0), endsAt: new Date(10_000) }],
    });
    expect(state.replicaOfPod('a/0')).toBe('a');
    expect(state.budgetWatts('rack')).toBe(6_000);
    expect(state.place(fullNode('b')).placed).toBe(false);
    state.close();
  });

  it('a follower holds inventory and schedule but places nothing', () => {
    const state = new ClusterState({ logger, now: () => 0 });
    state.loadInventory(inventory());
    expect(state.active).toBe(false);
    expect(() => state.place(fullNode('a'))).toThrow(/not the leader/);
    expect(state.gpuUuids('n0')).toHaveLength(8);
    expect(state.overBudget()).toEqual([]);
  });
});

describe('BudgetSchedule', () => {
  const at = (m: number) => new Date(m * 60_000);
  it('knows the next boundary and what is in force at any instant', () => {
    const s = new BudgetSchedule();
    s.add({ id: 'a', scopeId: 'x', watts: 100, startsAt: at(10), endsAt: at(20) });
    s.add({ id: 'b', scopeId: 'x', watts: 50, startsAt: at(15), endsAt: at(30) });
    expect(s.nextBoundary(at(0))).toEqual(at(10));
    expect(s.nextBoundary(at(10))).toEqual(at(15));
    expect(s.inForce('x', at(9))).toBeNull();
    expect(s.inForce('x', at(10))).toBe(100);
    expect(s.inForce('x', at(15))).toBe(50);
    expect(s.inForce('x', at(20))).toBe(50);
    expect(s.inForce('x', at(30))).toBeNull();
    expect(s.prune(at(20))).toEqual(['x']);
    expect(s.has('a')).toBe(false);
    expect(s.nextBoundary(at(30))).toBeNull();
  });
});
