import { PlacementEngine } from './engine';
import { PlacementInputError } from './errors';
import { checkInvariants, countViolations } from './invariants';
import type { ClusterInput, ExclusionReason, ExistingPlacement, PodRequest, ReplicaRequest } from './model';
import { bestfitPolicy, bestfitScore } from './policies/bestfit';
import { planPreemption, preempt } from './preemption';
import { gang, gpus, gridCluster, node, pod, replica, scope } from './testing/builders';
import { classCount, powerOrderProblems } from './testing/engine-internals';
import { replicasThatFit, whatIf } from './whatif';

const BESTFIT = { policy: 'bestfit' };

/** One rack of two 8-GPU nodes under generous budgets unless a test tightens them. */
function twoNodes(extra: Partial<Parameters<typeof gridCluster>[0]> = {}): ClusterInput {
  return gridCluster({ racksPerRow: 1, nodesPerRack: 2, ...extra });
}

function placed(e: PlacementEngine, r: ReplicaRequest) {
  const res = e.place(r, BESTFIT);
  if (!res.placed) throw new Error(`expected ${r.id} placed: ${res.explanation.message}`);
  return res;
}

describe('filters: each reason excludes nodes and is explained', () => {
  const cases: {
    name: string;
    cluster: ClusterInput;
    setup?: (e: PlacementEngine) => void;
    pod: Partial<PodRequest>;
    reason: ExclusionReason;
    message: string;
  }[] = [
    {
      name: 'GPU product',
      cluster: {
        scopes: [scope('s', 'site', null, 1e9), scope('k', 'rack', 's', 1e9)],
        nodes: [node('a', 'k', { gpuProduct: 'A100' }), node('b', 'k')],
      },
      setup: (e) => placed(e, replica('x', { gpuCount: 8, allowedProducts: ['H200'] })),
      pod: { allowedProducts: ['H200'] },
      reason: 'gpu-product',
      message: '0/2 nodes fit: 1 GPU product, 1 not enough free GPUs (needs 1, best 0)',
    },
    {
      name: 'GPU memory',
      cluster: twoNodes({ node: (id, rack) => node(id, rack, { gpus: gpus(8, { memoryMiB: 81_920 }) }) }),
      pod: { minGpuMemoryMiB: 143_000 },
      reason: 'gpu-memory',
      message: '0/2 nodes fit: 2 GPU memory (needs 143000 MiB, best 81920 MiB)',
    },
    {
      name: 'free whole GPUs',
      cluster: twoNodes(),
      setup: (e) => {
        placed(e, replica('x', { gpuCount: 6 }));
        placed(e, replica('y', { gpuCount: 7 }));
      },
      pod: { gpuCount: 4 },
      reason: 'gpus',
      message: '0/2 nodes fit: 2 not enough free GPUs (needs 4, best 2)',
    },
    {
      name: 'GPU share for a fraction',
      cluster: twoNodes({ gpusPerNode: 1 }),
      setup: (e) => {
        placed(e, replica('x', { gpuMilli: 700 }));
        placed(e, replica('y', { gpuMilli: 600 }));
      },
      pod: { gpuMilli: 500 },
      reason: 'gpus',
      message: '0/2 nodes fit: 2 not enough free GPUs (needs 500 milli, best 400 milli)',
    },
    {
      name: 'CPU',
      cluster: twoNodes(),
      pod: { cpuMilli: 300_000 },
      reason: 'cpu',
      message: '0/2 nodes fit: 2 not enough CPU (needs 300000 milli, best 224000 milli)',
    },
    {
      name: 'memory',
      cluster: twoNodes(),
      pod: { memoryMiB: 3_000_000 },
      reason: 'memory',
      message: '0/2 nodes fit: 2 not enough memory (needs 3000000 MiB, best 2097152 MiB)',
    },
    {
      name: 'node power',
      cluster: twoNodes({ node: (id, rack) => node(id, rack, { maxWatts: 1_000 }) }),
      pod: { gpuCount: 2 },
      reason: 'node-power',
      message: '0/2 nodes fit: 2 node power (needs 1.2 kW, best headroom 1.0 kW)',
    },
    {
      name: 'row power',
      cluster: twoNodes({ rowWatts: 5_000 }),
      setup: (e) => placed(e, replica('x', { gpuCount: 7 })),
      pod: { gpuCount: 2 },
      reason: 'row-power',
      message:
        '0/2 nodes fit: 1 not enough free GPUs (needs 2, best 1), 1 row power (needs 1.2 kW, best headroom 800 W)',
    },
    {
      name: 'hall power with oversubscription',
      cluster: twoNodes({ hallWatts: 1_000, hallOversubscription: 1.1 }),
      pod: { gpuCount: 2 },
      reason: 'hall-power',
      message: '0/2 nodes fit: 2 hall power (needs 1.2 kW, best headroom 1.1 kW)',
    },
    {
      name: 'site power',
      cluster: twoNodes({ siteWatts: 500 }),
      pod: {},
      reason: 'site-power',
      message: '0/2 nodes fit: 2 site power (needs 600 W, best headroom 500 W)',
    },
    {
      name: 'node not ready or cordoned',
      cluster: twoNodes({ node: (id, rack, i) => node(id, rack, i === 0 ? { ready: false } : { schedulable: false }) }),
      pod: {},
      reason: 'node-not-ready',
      message: '0/2 nodes fit: 2 node not ready or cordoned',
    },
  ];
  it.each(cases)('$name', ({ cluster, setup, pod: p, reason, message }) => {
    const e = new PlacementEngine(cluster);
    setup?.(e);
    const res = e.place(replica('probe', p), BESTFIT);
    expect(res.placed).toBe(false);
    if (res.placed) return;
    expect(res.explanation.reasons.map((r) => r.reason)).toContain(reason);
    expect(res.explanation.message).toBe(message);
  });

  it('tenant GPU and watt quotas', () => {
    const e = new PlacementEngine(
      twoNodes({
        tenants: [
          { id: 'gpu', gpuQuota: 2 },
          { id: 'watt', wattQuota: 1_000 },
        ],
      }),
    );
    placed(e, replica('a', { gpuCount: 2 }, { tenant: 'gpu' }));
    const q = e.place(replica('b', { gpuMilli: 500 }, { tenant: 'gpu' }), BESTFIT);
    expect(!q.placed && q.explanation.message).toBe('0/2 nodes fit: 2 tenant GPU quota (needs 0.5, best 0)');
    const w = e.place(replica('c', { gpuCount: 2 }, { tenant: 'watt' }), BESTFIT);
    expect(!w.placed && w.explanation.message).toBe(
      '0/2 nodes fit: 2 tenant power quota (needs 1.2 kW, best headroom 1.0 kW)',
    );
    expect(
      e.place(replica('d', { gpuCount: 2, cap: { limitWatts: 400, wattsPerGpu: 450 } }, { tenant: 'watt' }), BESTFIT)
        .placed,
    ).toBe(true);
  });

  it('a power cap is used only when the GPUs accept that limit', () => {
    const e = new PlacementEngine(
      twoNodes({ rackWatts: 1_000, node: (id, rack) => node(id, rack, { gpus: gpus(8, { minLimitWatts: 450 }) }) }),
    );
    expect(e.place(replica('a', { gpuCount: 2, cap: { limitWatts: 400, wattsPerGpu: 350 } }), BESTFIT).placed).toBe(
      false,
    );
    const ok = e.place(replica('b', { gpuCount: 2, cap: { limitWatts: 450, wattsPerGpu: 400 } }), BESTFIT);
    expect(ok.placed && ok.pods[0]).toMatchObject({ powerLimitWatts: 450, predictedWatts: 800 });
  });
  it('a policy that declines nodes the resources allow is its own reason, and every node is counted', () => {
    const e = new PlacementEngine(twoNodes());
    const picky = { ...bestfitPolicy(), name: 'picky', assignGpus: () => null };
    const res = e.place(replica('a'), { policy: picky });
    expect(!res.placed && res.explanation.message).toBe('0/2 nodes fit: 2 declined by the scoring policy');
  });

  it('a pod that must run capped is refused where the GPUs do not accept its limit', () => {
    const e = new PlacementEngine(
      twoNodes({ node: (id, rack, i) => node(id, rack, { gpus: gpus(8, { minLimitWatts: i === 0 ? 450 : 200 }) }) }),
    );
    const always = { cap: { limitWatts: 400, wattsPerGpu: 350, always: true } };
    const res = e.place(replica('a', always), BESTFIT);
    expect(res.placed && res.pods[0]).toMatchObject({ nodeId: 'h0r0k0n1', powerLimitWatts: 400 });
    e.setNodeCondition('h0r0k0n1', { schedulable: false });
    const no = e.place(replica('b', always), BESTFIT);
    expect(!no.placed && no.explanation.message).toBe(
      '0/2 nodes fit: 1 node not ready or cordoned, 1 GPU power-limit range',
    );
  });
});

describe('bestfit score', () => {
  const res = (free: number[], cpuFree = 100) => ({
    gpuProduct: 'H200',
    gpuFreeMilli: free,
    cpuFreeMilli: cpuFree,
    memoryFreeMiB: 100,
    cpuCapacityMilli: 100,
    memoryCapacityMiB: 100,
  });
  const d = { cpuMilli: 10, memoryMiB: 10, gpuCount: 1, gpuMilli: 1000, allowedProducts: null };
  it.each([
    { better: [0, 1000], worse: [1000, 1000], why: 'fuller node' },
    { better: [1000, 500], worse: [1000, 1000], why: 'partly used GPU counts' },
  ])('prefers the $why', ({ better, worse }) => {
    expect(bestfitScore(res(better), d, [better.indexOf(1000)])).toBeGreaterThan(bestfitScore(res(worse), d, [0]));
  });
  it('gives a fraction the fullest GPU that still has room', () => {
    expect(bestfitPolicy().assignGpus(res([1000, 300, 600, 500]), { ...d, gpuMilli: 400 }, { workload: [] })).toEqual([
      3,
    ]);
  });
});

describe('PlacementEngine operations', () => {
  it('places on the lowest-numbered node among equal scores, and releases', () => {
    const e = new PlacementEngine(gridCluster());
    const r = placed(e, replica('a', { gpuCount: 2 }));
    expect(r.pods[0]).toMatchObject({
      nodeId: 'h0r0k0n0',
      gpuIndices: [0, 1],
      gpuMilli: 1000,
      predictedWatts: 1200,
      powerLimitWatts: null,
    });
    e.release('a');
    expect(e.allocatedMilli).toBe(0);
    expect(checkInvariants(e)).toEqual([]);
  });

  it('switchyard: among equal nodes, the one whose rack has the least spare headroom, kept current on release', () => {
    const cluster = gridCluster({ racksPerRow: 3, nodesPerRack: 1, rackWatts: 20_000 });
    const at = (id: string, nodeId: string, watts: number): ExistingPlacement => ({
      replica: replica(id, { wattsPerGpu: watts }),
      pods: [
        { podId: `${id}/0`, nodeId, gpuIndices: [0], gpuMilli: 1000, powerLimitWatts: null, predictedWatts: watts },
      ],
    });
    // One free state on all three nodes; only their racks' loads differ.
    const e = new PlacementEngine(cluster, {
      placements: [at('a', 'h0r0k0n0', 600), at('b', 'h0r0k1n0', 300), at('c', 'h0r0k2n0', 650)],
    });
    expect(classCount(e)).toBe(1);
    const first = e.place(replica('x', { wattsPerGpu: 500 }));
    expect(first.placed && first.pods[0].nodeId).toBe('h0r0k2n0');
    e.release('x');
    e.release('c');
    const second = e.place(replica('y', { wattsPerGpu: 500 }));
    expect(second.placed && second.pods[0].nodeId).toBe('h0r0k0n0');
    expect(powerOrderProblems(e)).toEqual([]);
  });

  it('fills a partly used node before an empty one (bestfit)', () => {
    const e = new PlacementEngine(gridCluster());
    placed(e, replica('a', { gpuCount: 1 }));
    expect(placed(e, replica('b', { gpuCount: 4 })).pods[0]).toMatchObject({
      nodeId: 'h0r0k0n0',
      gpuIndices: [1, 2, 3, 4],
    });
  });

  it('spreads replicas of a deployment over racks while it can', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 2, nodesPerRack: 2 }));
    const racks = [0, 1, 2].map((i) =>
      placed(e, replica(`m${i}`, { gpuCount: 1 }, { deployment: 'model' })).pods[0].nodeId.slice(0, 6),
    );
    expect(racks).toEqual(['h0r0k0', 'h0r0k1', 'h0r0k0']);
  });

  it('places a gang inside one rack or not at all', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 2, nodesPerRack: 2 }));
    placed(e, replica('x', { gpuCount: 8 }));
    expect(placed(e, gang('g', 2, { gpuCount: 8 })).pods.map((p) => p.nodeId)).toEqual(['h0r0k1n0', 'h0r0k1n1']);
    const r2 = e.place(gang('g2', 2, { gpuCount: 8 }), BESTFIT);
    expect(!r2.placed && r2.explanation.message).toBe(
      '0/4 nodes fit: 3 not enough free GPUs (needs 8, best 0), 1 in no rack with room for the whole gang of 2 pods',
    );
    expect(e.allocatedMilli).toBe(24_000);
  });

  it('reports the scopes a budget cut puts over budget, and places nothing more there', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 2, nodesPerRack: 1 }));
    placed(e, replica('a', { gpuCount: 8 })); // 4.8 kW in rack h0r0k0
    expect(e.applyBudgetChange({ scopeId: 'h0r0k0', overrideWatts: 4_000 })).toEqual([
      { scopeId: 'h0r0k0', kind: 'rack', budgetWatts: 4_000, loadWatts: 4_800, overByWatts: 800 },
    ]);
    expect(placed(e, replica('b', { gpuMilli: 100, wattsPerGpu: 100 })).pods[0].nodeId).toBe('h0r0k1n0');
    expect(e.applyBudgetChange({ scopeId: 'h0r0k0', overrideWatts: null })).toEqual([]);
    expect(() => e.applyBudgetChange({ scopeId: 'h0r0k0', capacityWatts: Number.NaN })).toThrow(PlacementInputError);
    expect(() => e.applyBudgetChange({ scopeId: 'nope', capacityWatts: 1 })).toThrow(PlacementInputError);
    expect(checkInvariants(e)).toEqual([]);
  });

  it('preempts the fewest, lowest-priority victims and only strictly lower priority', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 1, nodesPerRack: 2 }));
    placed(e, replica('big-low', { gpuCount: 6 }, { priority: 1 }));
    placed(e, replica('small-low', { gpuCount: 2 }, { priority: 1 }));
    placed(e, replica('a', { gpuCount: 4 }, { priority: 0 }));
    placed(e, replica('b', { gpuCount: 4 }, { priority: 2 }));
    const want = replica('new', { gpuCount: 4 }, { priority: 2 });
    expect(e.place(want, BESTFIT).placed).toBe(false);
    const snap = JSON.stringify(e.snapshot());
    expect(planPreemption(e, want, BESTFIT)).toMatchObject({
      victims: ['a'],
      gpusDisturbed: 4,
      nodeId: 'h0r0k0n1',
      placement: [{ podId: 'new/0', nodeId: 'h0r0k0n1', gpuIndices: [0, 1, 2, 3] }],
      exhaustive: true,
    });
    expect(JSON.stringify(e.snapshot())).toBe(snap);
    expect(planPreemption(e, replica('same', { gpuCount: 8 }, { priority: 0 }), BESTFIT)).toBeNull();
    const done = preempt(e, want, BESTFIT);
    expect(done?.victims).toEqual(['a']);
    expect(done?.result.placed).toBe(true);
    expect(countViolations(e).total).toBe(0);
  });

  it('answers what-if questions on a copy', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 1, nodesPerRack: 2, rackWatts: 6_000 }));
    const snap = JSON.stringify(e.snapshot());
    const { results } = whatIf(e, [replica('a', { gpuCount: 8 }), replica('b', { gpuCount: 8 })], BESTFIT);
    expect(results.map((r) => r.placed)).toEqual([true, false]);
    expect(JSON.stringify(e.snapshot())).toBe(snap);
    // 6 kW rack: 8 x 600 W uncapped fit once; capped to 350 W per GPU, 8 x 350 = 2.8 kW fit twice.
    expect(
      replicasThatFit(e, replica('m', { gpuCount: 8, cap: { limitWatts: 400, wattsPerGpu: 350 } }), BESTFIT),
    ).toEqual({ withCapping: 2, withoutCapping: 1, truncated: false });
  });

  it('cordoning a node keeps its pods but places nothing new there', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 1, nodesPerRack: 2 }));
    placed(e, replica('a', { gpuCount: 1 }));
    e.setNodeCondition('h0r0k0n0', { schedulable: false });
    expect(placed(e, replica('b', { gpuCount: 1 })).pods[0].nodeId).toBe('h0r0k0n1');
    expect(e.placedReplicas.has('a')).toBe(true);
    expect(checkInvariants(e)).toEqual([]);
    expect(() => e.setNodeCondition('zz', { ready: true })).toThrow(PlacementInputError);
  });

  it('adopts existing placements and refuses ones that break a resource constraint', () => {
    const cluster = gridCluster({ racksPerRow: 1, nodesPerRack: 1 });
    const ok = {
      replica: replica('a', { gpuCount: 2 }),
      pods: [
        {
          podId: 'a/0',
          nodeId: 'h0r0k0n0',
          gpuIndices: [3, 5],
          gpuMilli: 1000,
          powerLimitWatts: null,
          predictedWatts: 1200,
        },
      ],
    };
    const e = new PlacementEngine(cluster, { placements: [ok] });
    expect(e.allocatedMilli).toBe(2000);
    expect(placed(e, replica('b', { gpuCount: 1 })).pods[0].gpuIndices).toEqual([0]);
    const clash = { replica: replica('c', { gpuCount: 1 }), pods: [{ ...ok.pods[0], podId: 'c/0', gpuIndices: [3] }] };
    const snap = JSON.stringify(e.snapshot());
    expect(() => e.adopt(clash)).toThrow(PlacementInputError);
    expect(JSON.stringify(e.snapshot())).toBe(snap);
    expect(
      () =>
        new PlacementEngine(cluster, {
          placements: [ok, { ...ok, replica: replica('d', { gpuCount: 2 }), pods: [{ ...ok.pods[0], podId: 'd/0' }] }],
        }),
    ).toThrow(PlacementInputError);
  });
});

describe('bad input', () => {
  it.each<[string, ReplicaRequest]>([
    ['negative CPU', replica('b', { cpuMilli: -1 })],
    ['NaN watts', replica('b', { wattsPerGpu: Number.NaN })],
    ['unknown product', replica('b', { allowedProducts: ['B200'] })],
    ['already placed id', replica('a')],
    ['gang larger than any rack', gang('g', 20, { gpuCount: 8 })],
    ['more GPUs than a node has', replica('b', { gpuCount: 9 })],
    ['fraction with two GPUs', replica('b', { gpuCount: 2, gpuMilli: 500 })],
    ['cap above uncapped watts', replica('b', { cap: { limitWatts: 300, wattsPerGpu: 900 } })],
    ['unknown tenant', replica('b', {}, { tenant: 'nobody' })],
    ['no pods', { id: 'b', pods: [] }],
    ['duplicate pod ids', { id: 'b', pods: [pod('p'), pod('p')] }],
    ['bad topology', replica('b', {}, { topology: 'planet' as never })],
  ])('%s is a PlacementInputError and changes nothing', (_name, bad) => {
    const e = new PlacementEngine(gridCluster({ tenants: [{ id: 't' }] }));
    placed(e, replica('a'));
    const snap = JSON.stringify(e.snapshot());
    expect(() => e.place(bad)).toThrow(PlacementInputError);
    expect(JSON.stringify(e.snapshot())).toBe(snap);
    expect(checkInvariants(e)).toEqual([]);
  });

  it('an unknown replica on release and an unknown policy are typed errors', () => {
    const e = new PlacementEngine(gridCluster());
    expect(() => e.release('nope')).toThrow(PlacementInputError);
    expect(() => e.releasePod('nope/0')).toThrow(PlacementInputError);
    expect(() => e.place(replica('a'), { policy: 'nope' })).toThrow(PlacementInputError);
    placed(e, gang('g', 2));
    expect(e.releasePod('g/1')).toBe('g');
    expect(e.allocatedMilli).toBe(0);
  });

  it.each<[string, ClusterInput]>([
    ['unknown scope', { scopes: [scope('s', 'site', null, 1)], nodes: [node('n', 'zz')] }],
    ['two roots', { scopes: [scope('s', 'site', null, 1), scope('t', 'site', null, 1)], nodes: [] }],
    [
      'rack above row',
      { scopes: [scope('s', 'site', null, 1), scope('k', 'rack', 's', 1), scope('r', 'row', 'k', 1)], nodes: [] },
    ],
    ['negative capacity', { scopes: [scope('s', 'site', null, -1)], nodes: [] }],
    ['duplicate node', { scopes: [scope('s', 'site', null, 1)], nodes: [node('n', 's'), node('n', 's')] }],
    ['NaN node power', { scopes: [scope('s', 'site', null, 1)], nodes: [node('n', 's', { maxWatts: Number.NaN })] }],
  ])('a cluster with %s is refused', (_name, cluster) => {
    expect(() => new PlacementEngine(cluster)).toThrow(PlacementInputError);
  });
});
