import type { PodDemand } from './policy';
import { TYPICAL_POD_COVERAGE, workloadFromDemands } from './workload';

const d = (
  cpuMilli: number,
  gpuMilli: number,
  gpuCount = gpuMilli === 0 ? 0 : 1,
  allowedProducts: string[] | null = null,
  memoryMiB = 1024,
): PodDemand => ({
  cpuMilli,
  memoryMiB,
  gpuCount,
  gpuMilli,
  allowedProducts,
});
const repeat = (n: number, x: PodDemand) => Array.from({ length: n }, () => x);

describe('workloadFromDemands (FGD typical pods)', () => {
  it('groups pods by shape, most frequent first, weights summing to 1', () => {
    const w = workloadFromDemands([
      ...repeat(60, d(4000, 500)),
      ...repeat(30, d(8000, 1000)),
      ...repeat(10, d(2000, 0)),
    ]);
    expect(w.map((s) => [s.demand.cpuMilli, s.demand.gpuMilli, s.demand.gpuCount])).toEqual([
      [4000, 500, 1],
      [8000, 1000, 1],
      [2000, 0, 0],
    ]);
    expect(w.map((s) => s.weight)).toEqual([0.6, 0.3, 0.1]);
  });

  it('keeps only the shapes covering 95% of the pods and renormalises', () => {
    const w = workloadFromDemands([
      ...repeat(80, d(4000, 500)),
      ...repeat(16, d(8000, 1000)),
      ...repeat(3, d(1000, 250)),
      d(1000, 100),
    ]);
    expect(w).toHaveLength(2);
    expect(w[0].weight).toBeCloseTo(80 / 96, 12);
    expect(w[1].weight).toBeCloseTo(16 / 96, 12);
  });

  it('tells shapes apart by CPU, GPU share, GPU count and products, not by memory', () => {
    const w = workloadFromDemands([
      d(4000, 1000, 1),
      d(4000, 1000, 2),
      d(4000, 1000, 1, ['T4']),
      d(8000, 1000, 1),
      d(4000, 1000, 1, null, 99999),
    ]);
    expect(w).toHaveLength(4);
    expect(w[0].weight).toBeCloseTo(0.4, 12);
  });

  it('breaks frequency ties deterministically, whatever the input order', () => {
    const pods = [d(1000, 200), d(2000, 200), d(1000, 300), d(1000, 300, 1, ['A10'])];
    const a = workloadFromDemands(pods);
    const b = workloadFromDemands([...pods].reverse());
    expect(a).toEqual(b);
    expect(a[0].demand.cpuMilli).toBe(2000);
  });

  it('gives an empty list for an empty workload', () => {
    expect(workloadFromDemands([])).toEqual([]);
  });

  it(`always covers at least ${TYPICAL_POD_COVERAGE * 100}% of the pods`, () => {
    const pods: PodDemand[] = [];
    for (let i = 0; i < 200; i++) pods.push(d(1000 * (1 + (i % 7)), 100 * (1 + (i % 10))));
    const w = workloadFromDemands(pods);
    const covered = w.length; // each shape's weight is count / covered-count
    expect(covered).toBeGreaterThan(0);
    const counts = new Map<string, number>();
    for (const p of pods)
      counts.set(`${p.cpuMilli}/${p.gpuMilli}`, (counts.get(`${p.cpuMilli}/${p.gpuMilli}`) ?? 0) + 1);
    const coveredPods = w.reduce((sum, s) => sum + (counts.get(`${s.demand.cpuMilli}/${s.demand.gpuMilli}`) ?? 0), 0);
    expect(coveredPods / pods.length).toBeGreaterThanOrEqual(TYPICAL_POD_COVERAGE);
    expect(w.reduce((a, s) => a + s.weight, 0)).toBeCloseTo(1, 12);
  });
});
