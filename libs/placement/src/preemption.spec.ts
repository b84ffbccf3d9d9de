import fc from 'fast-check';
import { PlacementEngine } from './engine';
import { PlacementInputError } from './errors';
import { checkInvariants, countViolations } from './invariants';
import type { ClusterInput, ReplicaRequest } from './model';
import { bestfitAssign, bestfitScore } from './policies/bestfit';
import type { ScoringPolicy } from './policies/policy';
import { policyByName } from './policies/registry';
import { comparePreemptionCost, planPreemption, preempt, type PreemptionPlan } from './preemption';
import { referencePlace, referencePreemption } from './reference';
import { gang, gridCluster, node, replica, scope } from './testing/builders';
import { powerOrderProblems } from './testing/engine-internals';
import { arbCluster, arbReplica, withIds, type GenReplica } from './testing/random';

const BESTFIT = { policy: 'bestfit' };

/** Worst fit: the node with the most free GPU share wins, so a greedy gang often blocks itself. */
const worstfit: ScoringPolicy = {
  name: 'worstfit',
  powerAware: false,
  assignGpus: (node, pod) => bestfitAssign(node, pod),
  score: (node, pod, gpus) => -bestfitScore(node, pod, gpus),
};
const WORSTFIT = { policy: worstfit };

function placed(e: PlacementEngine, r: ReplicaRequest, choice: { policy: string | ScoringPolicy } = BESTFIT) {
  const res = e.place(r, choice);
  if (!res.placed) throw new Error(`expected ${r.id} placed: ${res.explanation.message}`);
  return res;
}

function nodesOf(res: ReturnType<PlacementEngine['place']>): string[] {
  return res.placed ? res.pods.map((p) => p.nodeId) : [];
}

/** Plans, checks the state is untouched, evicts, places, and checks the placement is the planned one. */
function planAndApply(e: PlacementEngine, r: ReplicaRequest, choice: object = BESTFIT): PreemptionPlan {
  const snap = JSON.stringify(e.snapshot());
  const plan = planPreemption(e, r, choice);
  expect(JSON.stringify(e.snapshot())).toBe(snap);
  expect(checkInvariants(e)).toEqual([]);
  if (plan === null) throw new Error(`expected a plan for ${r.id}`);
  for (const id of plan.victims) e.release(id);
  const res = e.place(r, choice);
  expect(res.placed && res.pods).toEqual(plan.placement);
  expect(countViolations(e).details).toEqual([]);
  return plan;
}

describe('gang placement within a scope is exact', () => {
  it('backtracks when the greedy first pod blocks the rest of the gang', () => {
    const cluster = gridCluster({ racksPerRow: 1, nodesPerRack: 2 });
    const e = new PlacementEngine(cluster);
    placed(e, replica('half', { gpuCount: 4 }), BESTFIT); // n0: 4 free, n1: 8 free
    const g: ReplicaRequest = {
      id: 'g',
      topology: 'rack',
      pods: [
        { id: 'g/0', cpuMilli: 1000, memoryMiB: 1024, gpuCount: 4, gpuMilli: 1000, wattsPerGpu: 500 },
        { id: 'g/1', cpuMilli: 1000, memoryMiB: 1024, gpuCount: 8, gpuMilli: 1000, wattsPerGpu: 500 },
      ],
    };
    // Worst fit sends the 4-GPU pod to the empty node first; the 8-GPU pod then fits nowhere.
    const ref = referencePlace(e.currentCluster(), e.snapshot(), g, worstfit);
    const res = e.place(g, WORSTFIT);
    expect(nodesOf(res)).toEqual(['h0r0k0n0', 'h0r0k0n1']);
    expect(ref.placed && ref.pods).toEqual(res.placed && res.pods);
    expect(checkInvariants(e)).toEqual([]);
  });

  it('tries the next anchor only when no assignment exists in this one', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 2, nodesPerRack: 2 }));
    placed(e, replica('a', { gpuCount: 4 })); // rack k0: n0 4 free
    placed(e, replica('b', { gpuCount: 6 })); // n1 2 free
    const res = e.place(gang('g', 2, { gpuCount: 4 }), WORSTFIT);
    // k0 has 4 + 2 free: no assignment; k1 takes both.
    expect(nodesOf(res)).toEqual(['h0r0k1n0', 'h0r0k1n1']);
  });

  it('does not treat nodes of one state in different racks as interchangeable', () => {
    const cluster: ClusterInput = {
      scopes: [
        scope('site', 'site', null, 1e9),
        scope('h0', 'hall', 'site', 1e9),
        scope('h0r0', 'row', 'h0', 1e9),
        scope('k0', 'rack', 'h0r0', 1_000),
        scope('k1', 'rack', 'h0r0', 1e9),
      ],
      nodes: [
        node('k0-a', 'k0', { gpuProduct: 'A' }),
        node('k0-b', 'k0', { gpuProduct: 'B', gpuCount: 2 }),
        node('k1-a', 'k1', { gpuProduct: 'A' }),
      ],
    };
    const g: ReplicaRequest = {
      id: 'g',
      topology: 'row',
      pods: [
        {
          id: 'g/0',
          cpuMilli: 1000,
          memoryMiB: 1024,
          gpuCount: 1,
          gpuMilli: 1000,
          wattsPerGpu: 600,
          allowedProducts: ['A'],
        },
        {
          id: 'g/1',
          cpuMilli: 1000,
          memoryMiB: 1024,
          gpuCount: 1,
          gpuMilli: 1000,
          wattsPerGpu: 600,
          allowedProducts: ['B'],
        },
      ],
    };
    // The first pod's first choice (k0-a) leaves rack k0 no power for the second; k1-a does not.
    const e = new PlacementEngine(cluster);
    const res = e.place(g, WORSTFIT);
    expect(nodesOf(res)).toEqual(['k1-a', 'k0-b']);
    const ref = referencePlace(cluster, [], g, worstfit);
    expect(ref.placed && ref.pods).toEqual(res.placed && res.pods);
  });

  it('equals the brute-force reference on random clusters with a policy that makes greedy fail', () => {
    let gangs = 0;
    fc.assert(
      fc.property(arbCluster, fc.array(arbReplica, { minLength: 1, maxLength: 12 }), (cluster, reqs) => {
        const e = new PlacementEngine(cluster, { policy: worstfit });
        reqs.forEach((g, i) => {
          const r = withIds(`r${i}`, g);
          let want: ReturnType<typeof referencePlace>;
          try {
            want = referencePlace(e.currentCluster(), e.snapshot(), r, worstfit);
          } catch (err) {
            if (!(err instanceof PlacementInputError)) throw err;
            expect(() => e.place(r)).toThrow(PlacementInputError);
            return;
          }
          const got = e.place(r);
          expect(got.placed).toBe(want.placed);
          if (got.placed && want.placed) {
            expect(got.pods).toEqual(want.pods);
            expect(got.score).toBe(want.score);
            if (got.pods.length > 1) gangs++;
          }
        });
        expect(checkInvariants(e)).toEqual([]);
        expect(countViolations(e).details).toEqual([]);
      }),
      { numRuns: 150 },
    );
    expect(gangs).toBeGreaterThan(20);
  });
});

describe('preemption: table', () => {
  it('a single pod takes victims on several nodes when rack power binds', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 1, nodesPerRack: 2, rackWatts: 4_000 }));
    placed(e, replica('x', { gpuCount: 4, wattsPerGpu: 25 }, { priority: 0 })); // n0, 100 W
    placed(e, replica('h0', { gpuCount: 4, wattsPerGpu: 25 }, { priority: 5 })); // n0, 100 W
    placed(e, replica('h1', { gpuCount: 7, wattsPerGpu: 25 }, { priority: 5 })); // n1, 175 W
    placed(e, replica('y', { gpuCount: 1, gpuMilli: 500, wattsPerGpu: 4_000 }, { priority: 0 })); // n1, 2 kW
    const want = replica('w', { gpuCount: 4 }, { priority: 1 }); // 2.4 kW
    expect(e.place(want, BESTFIT).placed).toBe(false);
    // x frees the GPUs on n0, but 2,375 - 100 + 2,400 W > 4 kW: y (on n1) must go for the rack's power.
    const plan = planAndApply(e, want);
    expect(plan).toMatchObject({ victims: ['y', 'x'], gpusDisturbed: 4.5, nodeId: 'h0r0k0n0', exhaustive: true });
  });

  it('evicting one pod of a victim gang evicts the whole gang and frees all of it', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 2, nodesPerRack: 2 }));
    placed(e, gang('low-gang', 2, { gpuCount: 6 }, { priority: 0 })); // k0: n0 and n1, 6 each
    placed(e, replica('fill-k0', { gpuCount: 2 }, { priority: 5 }));
    placed(e, replica('fill-k0b', { gpuCount: 2 }, { priority: 5 }));
    placed(e, replica('s1', { gpuCount: 4 }, { priority: 0 })); // k1n0
    placed(e, replica('s2', { gpuCount: 4 }, { priority: 0 })); // k1n0
    placed(e, replica('s3', { gpuCount: 8 }, { priority: 5 })); // k1n1
    const want = replica('w', { gpuCount: 4 }, { priority: 1 });
    expect(e.place(want, BESTFIT).placed).toBe(false);
    // One victim either way: the gang (12 GPUs) or s1 / s2 (4): fewer GPUs wins, then the id.
    const plan = planAndApply(e, want);
    expect(plan.victims).toEqual(['s1']);
    expect(plan.gpusDisturbed).toBe(4);
  });

  it('a whole victim gang counts all its GPUs, wherever its pods are', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 2, nodesPerRack: 2 }));
    placed(e, gang('lg', 2, { gpuCount: 6 }, { priority: 0 })); // k0n0 + k0n1
    placed(e, replica('hi0', { gpuCount: 2 }, { priority: 5 }));
    placed(e, replica('hi1', { gpuCount: 2 }, { priority: 5 }));
    placed(e, replica('hi2', { gpuCount: 8 }, { priority: 5 }));
    placed(e, replica('hi3', { gpuCount: 8 }, { priority: 5 }));
    const plan = planAndApply(e, replica('w', { gpuCount: 4 }, { priority: 1 }));
    expect(plan).toMatchObject({ victims: ['lg'], gpusDisturbed: 12, nodeId: 'h0r0k0n0' });
    expect(e.replicaOfPod('lg/1')).toBeUndefined();
  });

  it('a gang preempts in the rack where the fewest victims make it fit', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 2, nodesPerRack: 2 }));
    placed(e, replica('k0a', { gpuCount: 8 }, { priority: 0 }));
    placed(e, replica('k0b', { gpuCount: 4 }, { priority: 0 }));
    placed(e, replica('k0c', { gpuCount: 4 }, { priority: 0 }));
    placed(e, replica('k1a', { gpuCount: 8 }, { priority: 0 }));
    placed(e, replica('k1b', { gpuCount: 8 }, { priority: 0 }));
    const g = gang('g', 2, { gpuCount: 8 }, { priority: 2 });
    expect(e.place(g, BESTFIT).placed).toBe(false);
    const plan = planAndApply(e, g);
    expect(plan.victims).toEqual(['k1a', 'k1b']);
    expect(plan.placement.map((p) => p.nodeId)).toEqual(['h0r0k1n0', 'h0r0k1n1']);
  });

  it('prefers lower priority victims, and never equal or higher priority', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 1, nodesPerRack: 1 }));
    placed(e, replica('p1', { gpuCount: 4 }, { priority: 1 }));
    placed(e, replica('p0', { gpuCount: 4 }, { priority: 0 }));
    expect(planPreemption(e, replica('w', { gpuCount: 4 }, { priority: 2 }), BESTFIT)?.victims).toEqual(['p0']);
    expect(planPreemption(e, replica('w', { gpuCount: 8 }, { priority: 1 }), BESTFIT)).toBeNull();
    expect(planPreemption(e, replica('w', { gpuCount: 8 }, { priority: 2 }), BESTFIT)?.victims).toEqual(['p0', 'p1']);
  });

  it('ranks equal-size sets by their highest priority first ({1,1} before {0,2})', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 1, nodesPerRack: 2 }));
    placed(e, replica('a0', { gpuCount: 4 }, { priority: 0 })); // n0
    placed(e, replica('a2', { gpuCount: 4 }, { priority: 2 })); // n0
    placed(e, replica('b1', { gpuCount: 4 }, { priority: 1 })); // n1
    placed(e, replica('c1', { gpuCount: 4 }, { priority: 1 })); // n1
    const plan = planPreemption(e, replica('w', { gpuCount: 8 }, { priority: 3 }), BESTFIT);
    expect(plan?.victims).toEqual(['b1', 'c1']);
    const cost = (p: number[], ids: string[]) => ({ count: p.length, milli: 8000, priorities: p, ids });
    expect(comparePreemptionCost(cost([1, 1], ['b1', 'c1']), cost([2, 0], ['a0', 'a2']))).toBeLessThan(0);
  });

  it('frees the tenant quota by evicting the tenant’s own lower-priority replica', () => {
    const e = new PlacementEngine(
      gridCluster({ racksPerRow: 1, nodesPerRack: 2, tenants: [{ id: 't', gpuQuota: 8 }, { id: 'u' }] }),
    );
    placed(e, replica('t-low', { gpuCount: 8 }, { tenant: 't', priority: 0 }));
    placed(e, replica('u-low', { gpuCount: 2 }, { tenant: 'u', priority: 0 }));
    const want = replica('t-hi', { gpuCount: 2 }, { tenant: 't', priority: 1 });
    expect(e.place(want, BESTFIT).placed).toBe(false);
    expect(planAndApply(e, want).victims).toEqual(['t-low']);
  });

  it('does not assume that evicting more always helps (capping makes it non-monotone)', () => {
    const cluster: ClusterInput = {
      scopes: [scope('site', 'site', null, 1e9), scope('k', 'rack', 'site', 3_000)],
      nodes: [node('a', 'k', { gpuProduct: 'A' }), node('b', 'k', { gpuProduct: 'B', gpuCount: 2 })],
    };
    const e = new PlacementEngine(cluster);
    placed(e, replica('p0', { gpuCount: 1, wattsPerGpu: 300, allowedProducts: ['A'] }, { priority: 0 }));
    placed(e, replica('p1', { gpuCount: 1, wattsPerGpu: 300, allowedProducts: ['B'] }, { priority: 0 }));
    // Pod 0 runs capped (800 W) only while the rack lacks room for it uncapped (2,800 W); pod 1
    // then needs 1,200 W. Evicting p0 alone fits (300 + 800 + 1,200); evicting both does not
    // (2,800 uncapped + 1,200 > 3,000).
    const g: ReplicaRequest = {
      id: 'g',
      priority: 1,
      topology: 'rack',
      pods: [
        {
          id: 'g/0',
          cpuMilli: 1000,
          memoryMiB: 1024,
          gpuCount: 4,
          gpuMilli: 1000,
          wattsPerGpu: 700,
          cap: { limitWatts: 250, wattsPerGpu: 200 },
        },
        { id: 'g/1', cpuMilli: 1000, memoryMiB: 1024, gpuCount: 4, gpuMilli: 1000, wattsPerGpu: 300 },
      ],
    };
    expect(planAndApply(e, g)).toMatchObject({ victims: ['p0'], exhaustive: true });
    expect(e.replicaOfPod('p1/0')).toBe('p1');
  });

  it('returns no victims and the placement when the request fits as it is', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 1, nodesPerRack: 1 }));
    expect(planPreemption(e, replica('w', { gpuCount: 2 }, { priority: 1 }), BESTFIT)).toMatchObject({
      victims: [],
      gpusDisturbed: 0,
      nodeId: 'h0r0k0n0',
      exhaustive: true,
    });
    expect(e.placedReplicas.size).toBe(0);
  });

  const bad: { name: string; request: ReplicaRequest; code: string }[] = [
    { name: 'negative CPU', request: replica('w', { cpuMilli: -1 }, { priority: 9 }), code: 'invalid-value' },
    { name: 'NaN watts', request: replica('w', { wattsPerGpu: Number.NaN }, { priority: 9 }), code: 'invalid-value' },
    {
      name: 'unknown product',
      request: replica('w', { allowedProducts: ['B300'] }, { priority: 9 }),
      code: 'unknown-product',
    },
    {
      name: 'gang larger than any rack',
      request: gang('w', 3, { gpuCount: 8 }, { priority: 9 }),
      code: 'gang-too-large',
    },
    { name: 'NaN priority', request: replica('w', {}, { priority: Number.NaN }), code: 'invalid-value' },
    { name: 'duplicate id', request: replica('low', {}, { priority: 9 }), code: 'duplicate-id' },
  ];
  it.each(bad)('rejects $name with a typed error, state unchanged', ({ request, code }) => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 2, nodesPerRack: 2 }));
    placed(e, replica('low', { gpuCount: 8 }, { priority: 0 }));
    const snap = JSON.stringify(e.snapshot());
    let err: unknown;
    try {
      planPreemption(e, request, BESTFIT);
    } catch (e2) {
      err = e2;
    }
    expect(err).toBeInstanceOf(PlacementInputError);
    expect((err as PlacementInputError).code).toBe(code);
    expect(() => preempt(e, request, BESTFIT)).toThrow(PlacementInputError);
    expect(JSON.stringify(e.snapshot())).toBe(snap);
    expect(checkInvariants(e)).toEqual([]);
  });

  it('rejects bad search limits with a typed error', () => {
    const e = new PlacementEngine(gridCluster({ racksPerRow: 1, nodesPerRack: 1 }));
    for (const bad of [{ maxChecks: -1 }, { exactPoolSize: Number.NaN }, { maxAnchors: 1.5 }])
      expect(() => planPreemption(e, replica('w', {}, { priority: 1 }), bad)).toThrow(PlacementInputError);
  });

  it('bounded mode falls back to the tenant’s own victims when no anchor holds them', () => {
    const cluster = gridCluster({
      racksPerRow: 2,
      nodesPerRack: 2,
      tenants: [{ id: 't', gpuQuota: 8 }, { id: 'u' }],
      node: (id, rack, i) => node(id, rack, i < 2 ? { gpuProduct: 'B' } : {}),
    });
    const e = new PlacementEngine(cluster);
    placed(e, replica('t-low', { gpuCount: 8, allowedProducts: ['B'] }, { tenant: 't', priority: 0 })); // rack k0
    for (let i = 0; i < 12; i++) placed(e, replica(`u${i}`, { gpuCount: 1 }, { tenant: 'u', priority: 0 })); // rack k1
    const want = replica('t-hi', { gpuCount: 2, allowedProducts: ['H200'] }, { tenant: 't', priority: 1 });
    expect(e.place(want, BESTFIT).placed).toBe(false);
    const plan = planAndApply(e, want, { ...BESTFIT, exactPoolSize: 0 });
    expect(plan).toMatchObject({ victims: ['t-low'], exhaustive: false });
  });

  it('bounded mode (large pools) finds a valid plan on a bigger cluster', () => {
    const e = new PlacementEngine(gridCluster({ halls: 2, rowsPerHall: 2, racksPerRow: 4, nodesPerRack: 4 }));
    for (let i = 0; i < 64; i++) placed(e, replica(`a${i}`, { gpuCount: 4 }, { priority: i % 3 }));
    for (let i = 0; i < 64; i++) placed(e, replica(`b${i}`, { gpuCount: 2 }, { priority: i % 2 }));
    for (let i = 0; i < 64; i++) placed(e, replica(`c${i}`, { gpuCount: 2, gpuMilli: 1000 }, { priority: 4 }));
    const g = gang('g', 2, { gpuCount: 8 }, { priority: 3 });
    expect(e.place(g, BESTFIT).placed).toBe(false);
    const plan = planAndApply(e, g);
    expect(plan.exhaustive).toBe(false);
    // Two nodes of one rack cleared: the fewest victims are two 4-GPU replicas per node.
    expect(plan.victims).toHaveLength(4);
    expect(plan.victims.every((id) => id.startsWith('a'))).toBe(true);
    expect(plan.placement).toHaveLength(2);
  });
});

const PREEMPT_POLICIES: (string | ScoringPolicy)[] = ['bestfit', 'fgd', 'switchyard', worstfit];

/** Places the generated replicas (priorities 0..3) and returns the engine; bad input is skipped. */
function filled(cluster: ClusterInput, reqs: ReturnType<typeof withIds>[], policy: string | ScoringPolicy) {
  const e = new PlacementEngine(cluster, { policy });
  for (const r of reqs) {
    try {
      e.place(r);
    } catch (err) {
      if (!(err instanceof PlacementInputError)) throw err;
    }
  }
  return e;
}

function costOfIds(e: PlacementEngine, ids: readonly string[]) {
  const reps = ids.map((id) => e.placedReplicas.get(id)!);
  return {
    count: ids.length,
    milli: reps.reduce((a, r) => a + r.valid.totalMilli, 0),
    priorities: reps.map((r) => r.valid.priority).sort((a, b) => b - a),
    ids: [...ids].sort(),
  };
}

describe('preemption: properties', () => {
  /** Half the cases give every pod one shape, so victim sets tie on size and GPUs and priorities decide. */
  const uniform = (r: GenReplica, gpus: number): GenReplica => ({
    ...r,
    pods: r.pods.map((p) => ({
      ...p,
      gpuCount: gpus,
      gpuMilli: 1000,
      allowedProducts: null,
      minGpuMemoryMiB: 0,
      cpuMilli: 1000,
    })),
  });
  const arbCase = fc
    .record({
      cluster: arbCluster,
      placed: fc.array(arbReplica, { minLength: 2, maxLength: 9 }),
      request: arbReplica,
      priority: fc.integer({ min: 1, max: 4 }),
      policy: fc.constantFrom(...PREEMPT_POLICIES),
      shape: fc.constantFrom(0, 0, 2, 4),
    })
    .map((c) =>
      c.shape === 0
        ? c
        : { ...c, placed: c.placed.map((r) => uniform(r, c.shape)), request: uniform(c.request, 2 * c.shape) },
    );

  it('equals the brute-force reference (victims, GPUs, priorities, placement) and leaves the state unchanged', () => {
    const seen = { plans: 0, gangs: 0, multiNode: 0, none: 0 };
    fc.assert(
      fc.property(arbCase, (c) => {
        const policy = typeof c.policy === 'string' ? policyByName(c.policy) : c.policy;
        const e = filled(
          c.cluster,
          c.placed.map((g, i) => withIds(`p${i}`, g)),
          policy,
        );
        const req = withIds('req', { ...c.request, priority: c.priority });
        const snap = JSON.stringify(e.snapshot());
        let plan: PreemptionPlan | null;
        try {
          plan = planPreemption(e, req);
        } catch (err) {
          if (!(err instanceof PlacementInputError)) throw err;
          expect(JSON.stringify(e.snapshot())).toBe(snap);
          return;
        }
        expect(JSON.stringify(e.snapshot())).toBe(snap);
        expect(checkInvariants(e)).toEqual([]);
        expect(powerOrderProblems(e)).toEqual([]);
        const want = referencePreemption(e.currentCluster(), e.snapshot(), req, policy);
        if (want === null) {
          expect(plan).toBeNull();
          seen.none++;
          return;
        }
        expect(plan).not.toBeNull();
        const p = plan!;
        expect(p.exhaustive).toBe(true);
        expect([...p.victims].sort()).toEqual(want.victims);
        expect(p.gpusDisturbed * 1000).toBe(want.milli);
        expect(costOfIds(e, p.victims).priorities).toEqual(want.priorities);
        expect(p.placement).toEqual(want.pods);
        if (p.victims.length > 0) seen.plans++;
        if (req.pods.length > 1 && p.victims.length > 0) seen.gangs++;
        const victimNodes = new Set(
          e
            .snapshot()
            .filter((s) => p.victims.includes(s.replica.id))
            .flatMap((s) => s.pods.map((pp) => pp.nodeId)),
        );
        if (victimNodes.size > 1) seen.multiNode++;
        // The caller evicts, then places: it gets exactly the planned placement.
        for (const id of p.victims) e.release(id);
        const res = e.place(req);
        expect(res.placed && res.pods).toEqual(p.placement);
        expect(countViolations(e).details).toEqual([]);
      }),
      // Pinned: random seeds gave 3 to 9 gang preemptions here, too close to the floor below for a
      // check that must not depend on luck; the engine's main property keeps a fresh seed per run.
      { numRuns: 120, seed: 42 },
    );
    expect(seen.plans).toBeGreaterThan(10);
    expect(seen.gangs).toBeGreaterThan(2);
    expect(seen.multiNode).toBeGreaterThan(2);
  });

  it('bounded mode is valid and never beats the exact minimum', () => {
    const seen = { plans: 0, optimal: 0 };
    fc.assert(
      fc.property(arbCase, (c) => {
        const e = filled(
          c.cluster,
          c.placed.map((g, i) => withIds(`p${i}`, g)),
          c.policy,
        );
        const req = withIds('req', { ...c.request, priority: c.priority });
        let exact: PreemptionPlan | null;
        try {
          exact = planPreemption(e, req);
        } catch (err) {
          if (!(err instanceof PlacementInputError)) throw err;
          return;
        }
        const snap = JSON.stringify(e.snapshot());
        const bounded = planPreemption(e, req, { exactPoolSize: 0, maxChecks: 64, maxAnchors: 4 });
        expect(JSON.stringify(e.snapshot())).toBe(snap);
        if (bounded === null) return;
        expect(exact).not.toBeNull();
        const prio = new Map([...e.placedReplicas].map(([id, r]) => [id, r.valid.priority]));
        for (const v of bounded.victims) expect(prio.get(v)!).toBeLessThan(c.priority);
        expect(
          comparePreemptionCost(costOfIds(e, bounded.victims), costOfIds(e, exact!.victims)),
        ).toBeGreaterThanOrEqual(0);
        if (bounded.victims.length > 0) seen.plans++;
        if (bounded.victims.join() === exact!.victims.join()) seen.optimal++;
        for (const id of bounded.victims) e.release(id);
        const res = e.place(req);
        expect(res.placed && res.pods).toEqual(bounded.placement);
        expect(countViolations(e).details).toEqual([]);
      }),
      { numRuns: 120 },
    );
    expect(seen.plans).toBeGreaterThan(5);
  });
});
