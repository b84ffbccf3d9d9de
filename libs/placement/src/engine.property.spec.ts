import fc from 'fast-check';
import { PlacementEngine } from './engine';
import { PlacementInputError } from './errors';
import { checkInvariants, countViolations } from './invariants';
import type { ReplicaRequest } from './model';
import { bestfitScore } from './policies/bestfit';
import { enclosingHeadroomShare, type PolicyContext, type ScoringPolicy } from './policies/policy';
import { policyByName, policyNames } from './policies/registry';
import { planPreemption, preempt } from './preemption';
import { referenceNodeStatuses, referencePlace } from './reference';
import { explanationProblems } from './testing/explanation-check';
import { arbCluster, arbOp, placeOps, withIds, type Op } from './testing/random';
import { powerOrderProblems } from './testing/engine-internals';

/** A power-aware test policy: best fit, then the node whose tightest scope is left fullest (packs watts). */
const powerPack: ScoringPolicy = {
  name: 'powerpack',
  powerAware: true,
  assignGpus: (node, pod, ctx) => policyByName('bestfit').assignGpus(node, pod, ctx),
  score: (node, pod, gpus, _ctx, power) =>
    bestfitScore(node, pod, gpus) + 10 * (1 - (power.headroomWatts - power.podWatts) / Math.max(1, power.budgetWatts)),
};

const WORKLOAD: PolicyContext = {
  workload: [
    { demand: { cpuMilli: 4000, memoryMiB: 1024, gpuCount: 1, gpuMilli: 1000, allowedProducts: null }, weight: 0.5 },
    { demand: { cpuMilli: 1000, memoryMiB: 1024, gpuCount: 1, gpuMilli: 500, allowedProducts: null }, weight: 0.3 },
    { demand: { cpuMilli: 16000, memoryMiB: 1024, gpuCount: 4, gpuMilli: 1000, allowedProducts: ['A'] }, weight: 0.2 },
  ],
};

/** The same with scoreBounds, so the engine prunes node states that cannot win. */
const powerPackBounded: ScoringPolicy = {
  ...powerPack,
  name: 'powerpack-bounded',
  scoreBounds: (node, pod, gpus) => [bestfitScore(node, pod, gpus), bestfitScore(node, pod, gpus) + 10],
};

/** An 'enclosing-scope' test policy with a strong power term: best fit, then the rack left fullest. */
const rackPack: ScoringPolicy = {
  name: 'rackpack',
  powerAware: 'enclosing-scope',
  assignGpus: (node, pod, ctx) => policyByName('bestfit').assignGpus(node, pod, ctx),
  score: (node, pod, gpus, _ctx, power) => bestfitScore(node, pod, gpus) - 10 * enclosingHeadroomShare(power),
  scoreBounds: (node, pod, gpus) => [bestfitScore(node, pod, gpus) - 10, bestfitScore(node, pod, gpus)],
};

/** The same, coarse: different rack shares often score equal, so ties across power keys must go to the lowest node. */
const rackPackCoarse: ScoringPolicy = {
  ...rackPack,
  name: 'rackpack-coarse',
  score: (node, pod, gpus, _ctx, power) =>
    Math.round(bestfitScore(node, pod, gpus)) - Math.round(2 * enclosingHeadroomShare(power)),
  scoreBounds: (node, pod, gpus) => [
    Math.round(bestfitScore(node, pod, gpus)) - 2,
    Math.round(bestfitScore(node, pod, gpus)),
  ],
};

const POLICIES: ScoringPolicy[] = [
  ...policyNames().map((n) => policyByName(n)),
  powerPack,
  powerPackBounded,
  rackPack,
  rackPackCoarse,
];

/** How often placements succeeded and failed over a run, so the property cannot pass on an empty diet. */
const outcomes = { placed: 0, unplaced: 0, gangsPlaced: 0, capped: 0, preempted: 0, gangsPreempted: 0 };

function overBudgetLoads(e: PlacementEngine): Map<string, number> {
  return new Map(e.overBudget().map((o) => [`${o.kind}:${o.scopeId}`, o.loadWatts]));
}

/** Runs one op on the engine and checks it against the reference and the hard constraints. */
function runOp(e: PlacementEngine, op: Op, id: string, policy: ScoringPolicy, ctx: PolicyContext): void {
  const choice = { policy, context: ctx };
  const before = overBudgetLoads(e);
  const snap = JSON.stringify(e.snapshot());
  switch (op.kind) {
    case 'place': {
      const req = withIds(id, op.replica);
      const cluster = e.currentCluster();
      const placements = e.snapshot();
      let expected: ReturnType<typeof referencePlace> | PlacementInputError;
      try {
        expected = referencePlace(cluster, placements, req, policy, ctx);
      } catch (err) {
        if (!(err instanceof PlacementInputError)) throw err;
        expected = err;
      }
      if (expected instanceof PlacementInputError) {
        expect(() => e.place(req, choice)).toThrow(PlacementInputError);
        expect(JSON.stringify(e.snapshot())).toBe(snap);
        return;
      }
      const got = e.place(req, choice);
      outcomes[got.placed ? 'placed' : 'unplaced']++;
      if (got.placed && got.pods.length > 1) outcomes.gangsPlaced++;
      if (got.placed && got.pods.some((p) => p.powerLimitWatts !== null)) outcomes.capped++;
      expect(got.placed).toBe(expected.placed);
      if (got.placed && expected.placed) {
        expect(got.pods).toEqual(expected.pods);
        expect(got.score).toBe(expected.score);
      }
      if (!got.placed) {
        expect(JSON.stringify(e.snapshot())).toBe(snap);
        expect(got.explanation.message).toMatch(/^0\/\d+ nodes fit/);
        // Every node counted once, under the filter that refused it (the filters run node by node on the reference's recount).
        expect(
          explanationProblems(got.explanation, referenceNodeStatuses(cluster, placements, req, policy, ctx)),
        ).toEqual([]);
      }
      break;
    }
    case 'release': {
      const ids = [...e.placedReplicas.keys()];
      if (ids.length > 0) e.release(ids[op.pick % ids.length]);
      break;
    }
    case 'budget': {
      const scopes = e.currentCluster().scopes;
      const s = scopes[op.scope % scopes.length];
      const over = e.applyBudgetChange({ scopeId: s.id, overrideWatts: op.watts });
      expect(over).toEqual(e.overBudget());
      return; // a budget cut may put scopes over budget: that is reported, not a placement violation
    }
    case 'condition': {
      const nodes = e.currentCluster().nodes;
      e.setNodeCondition(nodes[op.node % nodes.length].id, { schedulable: op.up });
      break;
    }
    case 'preempt': {
      const req: ReplicaRequest = withIds(id, op.replica);
      // Every other preemption uses the bounded (anchored) search, as on a campus-sized pool.
      const options = id.length % 2 === 0 ? choice : { ...choice, exactPoolSize: 0, maxChecks: 32, maxAnchors: 3 };
      let plan;
      try {
        plan = planPreemption(e, req, options);
      } catch (err) {
        if (!(err instanceof PlacementInputError)) throw err;
        expect(JSON.stringify(e.snapshot())).toBe(snap);
        return;
      }
      expect(JSON.stringify(e.snapshot())).toBe(snap);
      if (plan === null) break;
      const priorities = new Map([...e.placedReplicas].map(([rid, r]) => [rid, r.valid.priority]));
      for (const v of plan.victims) expect(priorities.get(v)!).toBeLessThan(req.priority ?? 0);
      const done = preempt(e, req, options);
      expect(done?.result.placed).toBe(true);
      expect(done?.result.placed && done.result.pods).toEqual(plan.placement);
      if (plan.victims.length > 0) outcomes.preempted++;
      if (plan.victims.length > 0 && req.pods.length > 1) outcomes.gangsPreempted++;
      break;
    }
  }
  // Placing never adds load to a scope that is over budget, and never puts one over.
  for (const [k, load] of overBudgetLoads(e)) {
    expect(before.has(k)).toBe(true);
    expect(load).toBeLessThanOrEqual(before.get(k)!);
  }
}

/** The main property; `seed` pins fast-check's draw (undefined: a new seed each run). */
function checkEngineProperty(seed?: number): void {
  fc.assert(
    fc.property(
      arbCluster,
      fc.array(arbOp, { minLength: 1, maxLength: 30 }),
      fc.nat(POLICIES.length - 1),
      (cluster, ops, pi) => {
        const policy = POLICIES[pi];
        const e = new PlacementEngine(cluster, { policy, context: WORKLOAD });
        ops.forEach((op, i) => {
          runOp(e, op, `r${i}`, policy, WORKLOAD);
          expect(checkInvariants(e)).toEqual([]);
          expect(powerOrderProblems(e)).toEqual([]);
          const v = countViolations(e).details.filter((d) => !/power/.test(d));
          expect(v).toEqual([]);
        });
      },
    ),
    { numRuns: 250, ...(seed === undefined ? {} : { seed }) },
  );
}

describe('PlacementEngine properties', () => {
  it('equals the brute-force reference, keeps indexes consistent and never breaks a hard constraint', () => {
    checkEngineProperty(); // a fresh seed each run: over many runs, more of the space
  });

  it('the generator reaches every kind of outcome (pinned seed, so the floors are not luck)', () => {
    for (const k of Object.keys(outcomes) as (keyof typeof outcomes)[]) outcomes[k] = 0;
    checkEngineProperty(42);
    // Counts for seeds drawn at random varied from 6 to 18 preemptions and 2 to 9 gang
    // preemptions; a pinned seed makes these floors a statement about the generator.
    expect(outcomes.placed).toBeGreaterThan(100);
    expect(outcomes.unplaced).toBeGreaterThan(20);
    expect(outcomes.gangsPlaced).toBeGreaterThan(5);
    expect(outcomes.capped).toBeGreaterThan(5);
    expect(outcomes.preempted).toBeGreaterThan(5);
    expect(outcomes.gangsPreempted).toBeGreaterThan(0);
  });

  it('a forked copy decides like the original and leaves it untouched', () => {
    fc.assert(
      fc.property(arbCluster, fc.array(arbOp, { minLength: 1, maxLength: 15 }), (cluster, ops) => {
        const e = new PlacementEngine(cluster);
        placeOps(e, ops);
        const snap = JSON.stringify(e.snapshot());
        const f = e.fork();
        const req = withIds('probe', {
          pods: [{ cpuMilli: 1000, memoryMiB: 1024, gpuCount: 1, gpuMilli: 1000, wattsPerGpu: 300 }],
        });
        const a = f.place(req);
        expect(JSON.stringify(e.snapshot())).toBe(snap);
        expect(e.place(req)).toEqual(a);
      }),
      { numRuns: 60 },
    );
  });
});
