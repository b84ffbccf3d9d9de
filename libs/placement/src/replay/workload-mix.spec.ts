import type { TracePod } from './trace-csv';
import { podKind, resampleWorkload } from './workload-mix';

const p = (name: string, gpuCount: number, gpuMilli: number): TracePod => ({
  name,
  demand: { cpuMilli: 1000, memoryMiB: 1024, gpuCount, gpuMilli, allowedProducts: null },
});
const trace = [p('c', 0, 0), p('s1', 1, 300), p('s2', 1, 700), p('w', 1, 1000), p('m', 4, 1000)];

describe('resampleWorkload (held-out mixes)', () => {
  it('draws kinds in the asked proportions, copying trace pods', () => {
    const pods = resampleWorkload(trace, { name: 'mix', kinds: { cpu: 1, share: 6, whole: 2, multi: 1 } }, 5000, 3);
    const count = (k: string) => pods.filter((x) => podKind(x) === k).length / pods.length;
    expect(count('share')).toBeCloseTo(0.6, 1);
    expect(count('whole')).toBeCloseTo(0.2, 1);
    expect(count('cpu')).toBeCloseTo(0.1, 1);
    expect(new Set(pods.map((x) => x.name)).size).toBe(5000);
    for (const x of pods)
      expect(
        trace.some((t) => t.demand.gpuMilli === x.demand.gpuMilli && t.demand.gpuCount === x.demand.gpuCount),
      ).toBe(true);
  });

  it('restricts about the asked share of GPU pods to products of the cluster, never CPU-only pods', () => {
    const pods = resampleWorkload(
      trace,
      { name: 'r', kinds: { cpu: 1, share: 1, whole: 1, multi: 1 }, restricted: 0.5 },
      4000,
      9,
      ['T4', 'G2'],
    );
    const gpu = pods.filter((x) => x.demand.gpuCount > 0);
    const restricted = gpu.filter((x) => x.demand.allowedProducts !== null);
    expect(restricted.length / gpu.length).toBeCloseTo(0.5, 1);
    for (const x of restricted) for (const prod of x.demand.allowedProducts!) expect(['T4', 'G2']).toContain(prod);
    expect(pods.filter((x) => x.demand.gpuCount === 0).every((x) => x.demand.allowedProducts === null)).toBe(true);
  });

  it('is a function of the seed, and refuses a mix of absent kinds', () => {
    const mix = { name: 'm', kinds: { cpu: 1, share: 1, whole: 1, multi: 1 } };
    expect(resampleWorkload(trace, mix, 50, 1)).toEqual(resampleWorkload(trace, mix, 50, 1));
    expect(() =>
      resampleWorkload([p('c', 0, 0)], { name: 'x', kinds: { cpu: 0, share: 1, whole: 0, multi: 0 } }, 5, 1),
    ).toThrow(RangeError);
  });
});
