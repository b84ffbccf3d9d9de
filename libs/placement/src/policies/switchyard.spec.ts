import fc from 'fast-check';
import {
  fragmentation,
  productScarcity,
  switchyardPolicy,
  SWITCHYARD_TUNING,
  unfedGpuMilli,
  workloadTraits,
} from './switchyard';
import { enclosingHeadroomShare } from './policy';
import type { NodeResources, PodDemand, PowerView, WorkloadShape } from './policy';

const pod = (gpuMilli: number, gpuCount = gpuMilli === 0 ? 0 : 1, cpuMilli = 1000, memoryMiB = 1024): PodDemand => ({
  cpuMilli,
  memoryMiB,
  gpuCount,
  gpuMilli,
  allowedProducts: null,
});
const node = (
  gpuFreeMilli: number[],
  cpuFreeMilli = 32000,
  memoryFreeMiB = 65536,
  cpuCapacityMilli = 32000,
): NodeResources => ({
  gpuProduct: 'T4',
  gpuFreeMilli,
  cpuFreeMilli,
  memoryFreeMiB,
  cpuCapacityMilli,
  memoryCapacityMiB: 65536,
});
const noPower: PowerView = {
  headroomWatts: Number.POSITIVE_INFINITY,
  budgetWatts: Number.POSITIVE_INFINITY,
  podWatts: 0,
};
const workload: WorkloadShape[] = [
  { demand: pod(500, 1, 4000, 8192), weight: 0.5 },
  { demand: pod(1000, 1, 8000, 16384), weight: 0.5 },
];
const ctx = { workload };

describe('switchyard fragmentation', () => {
  it.each([
    [
      'memory-aware: a node without memory for the typical pods is all fragment',
      true,
      node([1000, 1000], 32000, 4096),
      2000,
    ],
    ['FGD view of the same node sees no fragment', false, node([1000, 1000], 32000, 4096), 0],
    ['CPU counts in both views', true, node([1000, 1000], 2000), 2000],
    ['partial GPU: fragment for the whole-GPU pods only', true, node([1000, 300]), 300],
  ])('%s', (_name, memoryAware, n, expected) => {
    expect(fragmentation(n, workload, memoryAware)).toBeCloseTo(expected, 9);
  });

  it('cpuForCopies: free whole GPUs the CPU cannot feed with copies of a whole-GPU pod are fragment', () => {
    // 8000 milli CPU per whole-GPU typical pod: 12000 free feeds one copy, so 3 of 4 GPUs idle for it (weight 0.5).
    const n = node([1000, 1000, 1000, 1000], 12000);
    expect(fragmentation(n, workload, true)).toBeCloseTo(0, 9);
    expect(fragmentation(n, workload, true, true)).toBeCloseTo(0.5 * 3000, 9);
    expect(fragmentation(node([1000, 1000], 16000), workload, true, true)).toBeCloseTo(0, 9);
  });
});

describe('switchyard policy', () => {
  const policy = switchyardPolicy();

  it.each([
    ['the GPU the share fills exactly', [1000, 500, 700], pod(500), [1]],
    ['equal fragmentation: the fullest GPU that fits', [1000, 900, 800], pod(100, 1, 0, 0), [2]],
    ['whole GPUs: the first free ones', [500, 1000, 1000], pod(1000, 2), [1, 2]],
    ['CPU-only', [1000], pod(0), []],
    ['does not fit', [400, 300], pod(500), null],
  ])('assignGpus: %s', (_name, free, p, expected) => {
    expect(policy.assignGpus(node(free), p, ctx)).toEqual(expected);
  });

  const scoreOn = (n: NodeResources, p: PodDemand, c = ctx) =>
    policy.score(n, p, policy.assignGpus(n, p, c)!, c, noPower);

  it('without restricted pods, breaks no tie by how used a node is (the node order decides)', () => {
    const p = pod(1000, 1, 1000, 1024);
    const busy = node([0, 0, 1000, 1000], 16000);
    const idle = node([1000, 1000, 1000, 1000], 32000);
    expect(Math.trunc(scoreOn(busy, p))).toBe(Math.trunc(scoreOn(idle, p)));
    expect(scoreOn(busy, p)).toBe(scoreOn(idle, p));
  });

  it('with restricted pods, packs the node left more used within a point', () => {
    const restricted: WorkloadShape[] = [
      ...workload,
      { demand: { ...pod(1000), allowedProducts: ['A10'] }, weight: 0.3 },
    ];
    const rctx = { workload: restricted };
    const p = pod(1000, 1, 1000, 1024);
    const busy = node([0, 0, 1000, 1000], 16000);
    const idle = node([1000, 1000, 1000, 1000], 32000);
    expect(Math.trunc(scoreOn(busy, p, rctx))).toBe(Math.trunc(scoreOn(idle, p, rctx)));
    expect(scoreOn(busy, p, rctx)).toBeGreaterThan(scoreOn(idle, p, rctx));
  });

  it('a shared pod prefers joining a shared GPU to opening a whole one', () => {
    // 250 milli fits a fresh GPU (leaving 750) or one with 600 free (leaving 350); both leave no fragment here.
    const small: WorkloadShape[] = [{ demand: pod(250, 1, 1000, 1024), weight: 1 }];
    const sctx = { workload: small };
    const p = pod(250);
    const shared = node([0, 600]);
    const whole = node([0, 1000]);
    expect(Math.trunc(scoreOn(shared, p, sctx))).toBe(Math.trunc(scoreOn(whole, p, sctx)));
    expect(scoreOn(shared, p, sctx)).toBeGreaterThan(scoreOn(whole, p, sctx));
    expect(scoreOn(shared, p, sctx) - scoreOn(whole, p, sctx)).toBeCloseTo(SWITCHYARD_TUNING.sharedGpuWeight, 9);
  });

  it('counts the free whole GPUs the CPU cannot feed with copies of a whole-GPU typical pod', () => {
    // The whole-GPU typical pod (weight 0.5) asks 8000 milli CPU.
    expect(unfedGpuMilli(node([1000, 1000, 1000, 1000], 16000), workload, true)).toBeCloseTo(0.5 * 2000, 9);
    expect(unfedGpuMilli(node([1000, 1000, 1000, 1000], 32000), workload, true)).toBe(0);
    expect(unfedGpuMilli(node([1000, 400], 8000), workload, true)).toBe(0);
    // Too little CPU (or memory) for even one copy: FGD's own fragmentation already counts it.
    expect(unfedGpuMilli(node([1000, 1000], 4000), workload, true)).toBe(0);
    expect(unfedGpuMilli(node([1000, 1000], 32000, 1024), workload, true)).toBe(0);
  });

  it('a whole-GPU pod prefers, within a point, the node where it takes a GPU the CPU could not feed', () => {
    const p = pod(1000, 1, 0, 0);
    const short = node([1000, 1000], 8000); // CPU for one copy: one GPU unfed, none after
    const plenty = node([1000, 1000], 16000); // none unfed before or after
    expect(Math.trunc(scoreOn(short, p))).toBe(Math.trunc(scoreOn(plenty, p)));
    expect(scoreOn(short, p) - scoreOn(plenty, p)).toBeCloseTo(SWITCHYARD_TUNING.unfedGpuWeight * 0.5, 9);
    const without = switchyardPolicy({ unfedGpuWeight: 0 });
    expect(without.score(short, p, [0], ctx, noPower)).toBe(without.score(plenty, p, [0], ctx, noPower));
  });

  it('a CPU-only pod prefers the node whose CPU its free GPUs will not need', () => {
    // Typical GPU pods ask 4000 / 0.5 GPU and 8000 / GPU: 8000 milli CPU per GPU.
    expect(workloadTraits(workload).cpuPerGpu).toBeCloseTo(8000, 9);
    const cpuPod = pod(0, 0, 4000, 1024);
    const gpusIdle = node([1000, 1000], 24000); // needs 16000 for its two GPUs: 4000 to spare after
    const gpusBusy = node([0, 0], 24000); // needs none: 20000 to spare after
    expect(scoreOn(gpusBusy, cpuPod)).toBeGreaterThan(scoreOn(gpusIdle, cpuPod));
    // The preference is bounded: it never outweighs a whole fragmentation point by itself.
    expect(Math.abs(scoreOn(gpusBusy, cpuPod) - scoreOn(gpusIdle, cpuPod))).toBeLessThanOrEqual(
      2 * SWITCHYARD_TUNING.spareCpuWeight,
    );
  });

  const rackView = (headroom: number, budget: number): PowerView => ({
    headroomWatts: headroom,
    budgetWatts: budget,
    podWatts: 700,
    enclosingHeadroomWatts: headroom,
    enclosingBudgetWatts: budget,
  });

  it('power: prefers the rack left with the least unused headroom', () => {
    const n = node([1000, 1000]);
    const p = pod(1000);
    const gpus = policy.assignGpus(n, p, ctx)!;
    const tight = policy.score(n, p, gpus, ctx, rackView(800, 10000));
    const roomy = policy.score(n, p, gpus, ctx, rackView(9000, 10000));
    expect(tight).toBeGreaterThan(roomy);
    expect(tight - roomy).toBeCloseTo(0.15 * 0.82, 12);
  });

  it('power: reads only the enclosing scope (the engine orders nodes by it)', () => {
    const n = node([1000, 1000]);
    const p = pod(1000);
    const gpus = policy.assignGpus(n, p, ctx)!;
    const a = policy.score(n, p, gpus, ctx, { ...rackView(800, 10000), headroomWatts: 100, budgetWatts: 1e6 });
    expect(a).toBe(policy.score(n, p, gpus, ctx, rackView(800, 10000)));
    expect(policy.powerAware).toBe('enclosing-scope');
  });

  it('power: without a budget the power term is the same for every node', () => {
    expect(enclosingHeadroomShare(noPower)).toBe(0);
    expect(
      enclosingHeadroomShare({ ...noPower, enclosingHeadroomWatts: Infinity, enclosingBudgetWatts: Infinity }),
    ).toBe(0);
    expect(enclosingHeadroomShare(rackView(3000, 10000))).toBeCloseTo(0.3, 12);
    expect(enclosingHeadroomShare(rackView(-50, 10000))).toBe(0);
    expect(enclosingHeadroomShare(rackView(3000, 0))).toBe(0);
  });

  it('power: the score never increases as the enclosing share grows (the engine relies on it)', () => {
    const n = node([1000, 400]);
    const p = pod(500);
    const gpus = policy.assignGpus(n, p, ctx)!;
    fc.assert(
      fc.property(fc.integer({ min: -5000, max: 40000 }), fc.integer({ min: -5000, max: 40000 }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(policy.score(n, p, gpus, ctx, rackView(lo, 30000))).toBeGreaterThanOrEqual(
          policy.score(n, p, gpus, ctx, rackView(hi, 30000)),
        );
      }),
    );
  });

  it('scores from a mutated node object are recomputed, not remembered', () => {
    const free = [1000, 1000];
    const n = { ...node(free), gpuFreeMilli: free };
    const p = pod(500);
    const first = policy.score(n, p, [0], ctx, noPower);
    free[0] = 600;
    const second = policy.score(n, p, [0], ctx, noPower);
    expect(second).not.toBe(first);
    expect(second).toBe(switchyardPolicy().score(node([600, 1000]), p, [0], ctx, noPower));
  });

  it('assigns only GPUs with room, exactly when the pod fits, and scores finitely', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 32000 }),
        fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 999 }), fc.constant(1000)),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 16000 }),
        (free, cpuFree, milli, count, cpu) => {
          const p = pod(milli, milli === 0 ? 0 : milli < 1000 ? 1 : count, cpu, 0);
          const n = node(free, cpuFree);
          const gpus = policy.assignGpus(n, p, ctx);
          const fits = cpu <= cpuFree && free.filter((f) => f >= milli).length >= p.gpuCount;
          expect(gpus !== null).toBe(fits);
          if (gpus === null) return;
          expect(gpus).toHaveLength(p.gpuCount);
          expect(new Set(gpus).size).toBe(gpus.length);
          for (const g of gpus) expect(free[g]).toBeGreaterThanOrEqual(milli);
          expect(
            Number.isFinite(policy.score(n, p, gpus, ctx, { headroomWatts: 5000, budgetWatts: 8000, podWatts: 300 })),
          ).toBe(true);
        },
      ),
    );
  });

  it('keeps products that restricted pods need for them', () => {
    const restricted: WorkloadShape[] = [
      ...workload,
      { demand: { ...pod(1000), allowedProducts: ['T4'] }, weight: 0.2 },
      { demand: { ...pod(1000), allowedProducts: ['T4', 'A10'] }, weight: 0.2 },
    ];
    const scarcity = productScarcity(restricted);
    expect(scarcity.get('T4')).toBe(1);
    expect(scarcity.get('A10')).toBeCloseTo(1 / 3, 12);
    expect(scarcity.has('G2')).toBe(false);
    const rctx = { workload: restricted };
    const on = (product: string, p: PodDemand) => {
      const n = { ...node([1000, 1000]), gpuProduct: product };
      return policy.score(n, p, policy.assignGpus(n, p, rctx)!, rctx, noPower);
    };
    // An unrestricted pod prefers the product nobody else needs; a restricted one is not pushed away.
    expect(on('G2', pod(1000))).toBeGreaterThan(on('T4', pod(1000)));
    const onlyT4 = { ...pod(1000), allowedProducts: ['T4'] };
    expect(on('T4', onlyT4)).toBe(
      switchyardPolicy({ scarcityWeight: 0 }).score(
        { ...node([1000, 1000]), gpuProduct: 'T4' },
        onlyT4,
        [0],
        rctx,
        noPower,
      ),
    );
    expect(productScarcity(workload).size).toBe(0);
  });

  it('scoreBounds brackets the score over every power view', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5000, max: 20000 }),
        fc.integer({ min: 1, max: 20000 }),
        fc.integer({ min: 0, max: 3000 }),
        (headroom, budget, watts) => {
          const n = node([1000, 400]);
          const p = pod(500);
          const gpus = policy.assignGpus(n, p, ctx)!;
          const [lo, hi] = policy.scoreBounds!(n, p, gpus, ctx);
          const s = policy.score(n, p, gpus, ctx, {
            headroomWatts: Math.min(headroom, budget),
            budgetWatts: budget,
            podWatts: watts,
            enclosingHeadroomWatts: headroom,
            enclosingBudgetWatts: budget,
          });
          expect(s).toBeGreaterThanOrEqual(lo);
          expect(s).toBeLessThanOrEqual(hi);
        },
      ),
    );
  });
});
