import { fgdPolicy, fgdScoreOf, gpuFragmentation, unusableGpuMilli, type FragmentationView } from './fgd';
import type { NodeResources, PodDemand, WorkloadShape } from './policy';

const pod = (
  gpuMilli: number,
  gpuCount = gpuMilli === 0 ? 0 : 1,
  cpuMilli = 1000,
  allowedProducts: string[] | null = null,
): PodDemand => ({
  cpuMilli,
  memoryMiB: 1024,
  gpuCount,
  gpuMilli,
  allowedProducts,
});
const view = (gpuFreeMilli: number[], cpuFreeMilli = 32000, gpuProduct = 'T4'): FragmentationView => ({
  gpuProduct,
  gpuFreeMilli,
  cpuFreeMilli,
});
const node = (
  gpuFreeMilli: number[],
  cpuFreeMilli = 32000,
  memoryFreeMiB = 65536,
  gpuProduct = 'T4',
): NodeResources => ({
  gpuProduct,
  gpuFreeMilli,
  cpuFreeMilli,
  memoryFreeMiB,
  cpuCapacityMilli: 32000,
  memoryCapacityMiB: 65536,
});

// Half the pods take half a GPU, half a whole GPU.
const halfAndWhole: WorkloadShape[] = [
  { demand: pod(500), weight: 0.5 },
  { demand: pod(1000), weight: 0.5 },
];

describe('unusableGpuMilli (free GPU a typical pod cannot use)', () => {
  it.each([
    ['fits: only GPUs too full for it count', view([1000, 300]), pod(500), 300],
    ['whole GPU: the partial GPU is unusable', view([1000, 300]), pod(1000), 300],
    ['no GPU with enough room: everything', view([400, 300]), pod(500), 700],
    ['two GPUs asked, one free: everything', view([1000, 600]), pod(1000, 2), 1600],
    ['not enough CPU: everything', view([1000, 300], 500), pod(500), 1300],
    ['wrong product: everything', view([1000, 300]), pod(500, 1, 1000, ['V100M16']), 1300],
    ['allowed product: as usual', view([1000, 300]), pod(500, 1, 1000, ['V100M16', 'T4']), 300],
    ['CPU-only pod uses no GPU: everything', view([1000, 300]), pod(0), 1300],
  ])('%s', (_name, v, shape, expected) => {
    const total = v.gpuFreeMilli.reduce((a, b) => a + b, 0);
    expect(unusableGpuMilli(v, total, shape)).toBe(expected);
  });
});

describe('gpuFragmentation', () => {
  it.each([
    ['one partial GPU usable by half-GPU pods only', [1000, 300], 300],
    ['600 free: usable by half pods, not whole', [600, 300], 0.5 * 300 + 0.5 * 900],
    ['full node has nothing to fragment', [0, 0], 0],
    ['empty node: nothing fragmented', [1000, 1000], 0],
  ])('%s', (_name, free, expected) => {
    expect(gpuFragmentation(view(free), halfAndWhole)).toBeCloseTo(expected, 9);
  });

  it('is the weighted sum over typical pods', () => {
    const v = view([700, 200, 1000]);
    const total = 1900;
    const expected = 0.5 * unusableGpuMilli(v, total, pod(500)) + 0.5 * unusableGpuMilli(v, total, pod(1000));
    expect(gpuFragmentation(v, halfAndWhole)).toBeCloseTo(expected, 9);
  });
});

describe('fgd policy', () => {
  const policy = fgdPolicy();
  const ctx = { workload: halfAndWhole };

  it('scores like the simulator: int(sigmoid(fragmentation decrease / 1000) * 100)', () => {
    // 300 milli on the 300-free GPU: fragmentation 300 -> 0.
    expect(fgdScoreOf(view([1000, 300], 32000), pod(300, 1, 0), [1], halfAndWhole)).toBe(
      Math.trunc(100 / (1 + Math.exp(-0.3))),
    );
    // On the whole GPU instead: 300 -> 0.5*300 + 0.5*1000 = 650.
    expect(fgdScoreOf(view([1000, 300], 32000), pod(300, 1, 0), [0], halfAndWhole)).toBe(
      Math.trunc(100 / (1 + Math.exp(0.35))),
    );
  });

  it.each([
    ['a share goes to the GPU it fills up', [1000, 300], pod(300, 1, 0), [1]],
    ['a share that fits one GPU only', [200, 600], pod(500), [1]],
    ['whole GPUs: the first free ones by index', [300, 1000, 1000, 1000], pod(1000, 2), [1, 2]],
    ['CPU-only pod: no GPU', [1000], pod(0), []],
    ['not enough whole GPUs', [1000, 300], pod(1000, 2), null],
    ['no GPU with room for the share', [200, 300], pod(500), null],
  ])('assignGpus: %s', (_name, free, p, expected) => {
    expect(policy.assignGpus(node(free), p, ctx)).toEqual(expected);
  });

  it('refuses a pod the node has no CPU or memory for', () => {
    expect(policy.assignGpus(node([1000], 500), pod(500), ctx)).toBeNull();
    expect(policy.assignGpus(node([1000], 32000, 10), pod(500), ctx)).toBeNull();
  });

  it('prefers the node whose fragmentation grows least', () => {
    const power = { headroomWatts: Infinity, budgetWatts: Infinity, podWatts: 0 };
    const p = pod(500, 1, 0);
    const partial = node([1000, 500]);
    const empty = node([1000, 1000]);
    const onPartial = policy.score(partial, p, policy.assignGpus(partial, p, ctx)!, ctx, power);
    const onEmpty = policy.score(empty, p, policy.assignGpus(empty, p, ctx)!, ctx, power);
    expect(onPartial).toBeGreaterThan(onEmpty);
    expect(Number.isInteger(onPartial)).toBe(true);
  });
});
