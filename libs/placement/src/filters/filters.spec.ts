import type { ClusterInput, PodRequest } from '../model';
import { validateReplica, type ValidPod } from '../request';
import { gpus, gridCluster, node, replica } from '../testing/builders';
import { buildTopology } from '../topology';
import {
  capAllowed,
  FITS,
  freeGpuSummary,
  gangScopeHolds,
  gpuKindFilter,
  minNeedMw,
  nodeReadyFilter,
  nodeStatus,
  podMilliwatts,
  policyGpusFilter,
  powerFilter,
  resourcesFilter,
  runsCapped,
  tenantGpuQuotaFilter,
  tenantWattQuotaFilter,
  type FilterStatus,
  type NodeFacts,
} from './index';

const CLUSTER: ClusterInput = gridCluster({
  racksPerRow: 1,
  nodesPerRack: 2,
  node: (id, rack, i) =>
    i === 0 ? node(id, rack) : node(id, rack, { gpuProduct: 'A100', gpus: gpus(8, { memoryMiB: 81_920 }) }),
});

function podOf(extra: Partial<PodRequest> = {}): ValidPod {
  return validateReplica(replica('p', extra), buildTopology(CLUSTER), null).pods[0];
}

/** An H200 node with `free` milli free on each GPU. */
function facts(free: number[], extra: Partial<NodeFacts> = {}): NodeFacts {
  return {
    up: true,
    product: 'H200',
    gpuMemoryMiB: 143_771,
    limitMin: 200,
    limitMax: 700,
    resources: {
      gpuProduct: 'H200',
      gpuFreeMilli: free,
      cpuFreeMilli: 64_000,
      memoryFreeMiB: 1_048_576,
      cpuCapacityMilli: 224_000,
      memoryCapacityMiB: 2_097_152,
    },
    ...freeGpuSummary(free),
    ...extra,
  };
}

const EMPTY = facts([1000, 1000, 1000, 1000]);
const status = (s: FilterStatus) => ({ code: s.code, reason: s.reason, needs: s.needs, best: s.best, unit: s.unit });

describe('filters: one status per concern', () => {
  it.each<[string, FilterStatus, Partial<FilterStatus>]>([
    ['a node that is up', nodeReadyFilter(EMPTY), { code: 'success', reason: null }],
    ['a node that is down', nodeReadyFilter({ up: false }), { code: 'unresolvable', reason: 'node-not-ready' }],
    ['another product', gpuKindFilter(podOf({ allowedProducts: ['A100'] }), EMPTY), { reason: 'gpu-product' }],
    ['a CPU-only pod on any product', gpuKindFilter(podOf({ gpuCount: 0, gpuMilli: 0 }), EMPTY), { reason: null }],
    [
      'too little GPU memory',
      gpuKindFilter(podOf({ minGpuMemoryMiB: 150_000 }), EMPTY),
      { code: 'unresolvable', reason: 'gpu-memory', needs: 150_000, best: 143_771, unit: 'MiB' },
    ],
    [
      'a pod that must run capped, at a limit the GPUs refuse',
      gpuKindFilter(podOf({ cap: { limitWatts: 150, wattsPerGpu: 100, always: true } }), EMPTY),
      { code: 'unresolvable', reason: 'gpu-power-limit' },
    ],
    [
      'too few whole GPUs free',
      resourcesFilter(podOf({ gpuCount: 3 }), facts([1000, 1000, 500, 0])),
      { code: 'unschedulable', reason: 'gpus', needs: 3, best: 2, unit: 'gpus' },
    ],
    [
      'no GPU with the share free',
      resourcesFilter(podOf({ gpuMilli: 600 }), facts([500, 0])),
      { reason: 'gpus', needs: 600, best: 500, unit: 'milli' },
    ],
    ['a share that fits', resourcesFilter(podOf({ gpuMilli: 500 }), facts([500, 0])), { reason: null }],
    [
      'CPU',
      resourcesFilter(podOf({ cpuMilli: 100_000 }), EMPTY),
      { reason: 'cpu', needs: 100_000, best: 64_000, unit: 'milli' },
    ],
    ['memory', resourcesFilter(podOf({ memoryMiB: 2_000_000 }), EMPTY), { reason: 'memory', best: 1_048_576 }],
    ['the policy declines', policyGpusFilter(null), { code: 'unschedulable', reason: 'policy' }],
    ['the policy chose GPUs', policyGpusFilter([0]), { reason: null }],
    [
      'rack power',
      powerFilter(1_200_000, 900_000, 'rack'),
      { reason: 'rack-power', needs: 1_200, best: 900, unit: 'watts' },
    ],
    ['node power, over budget already', powerFilter(600_000, -5_000, 'node'), { reason: 'node-power', best: 0 }],
    ['power that fits exactly', powerFilter(600_000, 600_000, 'site'), { reason: null }],
    [
      'tenant GPU quota',
      tenantGpuQuotaFilter(3_000, 4_000, 2_000),
      { reason: 'tenant-gpu-quota', needs: 2, best: 1, unit: 'gpus' },
    ],
    ['no tenant GPU quota', tenantGpuQuotaFilter(3_000, undefined, 2_000), { reason: null }],
    [
      'tenant watts, even capped',
      tenantWattQuotaFilter(podOf({ cap: { limitWatts: 400, wattsPerGpu: 350 } }), true, 300_000),
      { reason: 'tenant-watt-quota', needs: 350, best: 300, unit: 'watts' },
    ],
    [
      'tenant watts, capped fits',
      tenantWattQuotaFilter(podOf({ cap: { limitWatts: 400, wattsPerGpu: 350 } }), true, 400_000),
      { reason: null },
    ],
  ])('%s', (_name, got, want) => {
    expect(status(got)).toMatchObject(want);
    if (want.reason === null) expect(got).toBe(FITS);
  });

  it('nodeStatus runs them in order: the first refusal wins', () => {
    const pod = podOf({ gpuCount: 2, minGpuMemoryMiB: 150_000, cpuMilli: 100_000 });
    const room = { roomMw: 0, at: 'rack' as const };
    expect(nodeStatus(pod, facts([0, 0]), () => null, 0, room).reason).toBe('gpu-memory');
    const fits = podOf({ gpuCount: 2 });
    expect(nodeStatus(fits, facts([0, 0]), () => [0, 1], 0, room).reason).toBe('gpus');
    expect(nodeStatus(fits, EMPTY, () => null, 0, room).reason).toBe('policy');
    expect(nodeStatus(fits, EMPTY, () => [0, 1], Infinity, room).reason).toBe('rack-power');
    expect(nodeStatus(fits, EMPTY, () => [0, 1], Infinity, { roomMw: 1_200_000, at: 'rack' })).toBe(FITS);
  });
});

describe('uncapped where it fits, else capped', () => {
  const capped = podOf({ gpuCount: 2, wattsPerGpu: 600, cap: { limitWatts: 400, wattsPerGpu: 350 } });
  const always = podOf({ gpuCount: 2, wattsPerGpu: 600, cap: { limitWatts: 400, wattsPerGpu: 350, always: true } });
  it.each([
    ['room for uncapped', capped, true, 1_200_000, 1_200_000, false],
    ['room only capped', capped, true, 1_000_000, 700_000, true],
    ['capped, but the GPUs refuse the limit', capped, false, 1_000_000, -1, false],
    ['room for neither', capped, true, 600_000, -1, false],
    ['always capped', always, true, 5_000_000, 700_000, true],
  ] as const)('%s', (_name, pod, capOk, room, mw, isCapped) => {
    expect(podMilliwatts(pod, capOk, room)).toBe(mw);
    if (mw >= 0) expect(runsCapped(pod, mw)).toBe(isCapped);
  });

  it('the least need is the capped watts where the cap is allowed', () => {
    expect(minNeedMw(capped, true, Infinity)).toBe(700_000);
    expect(minNeedMw(capped, false, Infinity)).toBe(1_200_000);
    expect(minNeedMw(always, false, Infinity)).toBe(Infinity);
    expect(minNeedMw(capped, false, 1_000_000)).toBe(Infinity);
  });

  it('a cap is allowed only inside every GPU limit range', () => {
    expect(capAllowed(capped, 200, 700)).toBe(true);
    expect(capAllowed(capped, 450, 700)).toBe(false);
    expect(capAllowed(podOf(), 0, 1000)).toBe(false);
  });
});

describe('gang anchor', () => {
  const gang = { kind: 'rack' as const, pods: 2, milli: 4_000, milliwatts: 2_000_000 };
  it.each([
    [true, 2_000_000, 4_000, true],
    [true, 2_000_000, 3_000, false],
    [false, 2_000_000, 0, true],
    [false, 1_999_999, 9_000, false],
  ])('anchor %s, room %d mW, %d milli free: holds %s', (isAnchor, room, free, holds) => {
    expect(gangScopeHolds(gang, isAnchor, room, free)).toBe(holds);
  });
});
