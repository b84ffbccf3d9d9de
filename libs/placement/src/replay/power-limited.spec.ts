import { gridCluster } from '../testing/builders';
import { physicalGpuLimit, powerLimitedCluster, powerLimitedQuality } from './power-limited';

describe('physical GPU limit', () => {
  it('takes, per scope bottom-up, the lesser of its GPUs and budget / watts per GPU', () => {
    // 2 racks of 2 nodes x 8 GPUs; racks allow 10 GPUs at 500 W, the row 18, the site more.
    const c = gridCluster({
      racksPerRow: 2,
      nodesPerRack: 2,
      gpusPerNode: 8,
      rackWatts: 5_000,
      rowWatts: 9_000,
      hallWatts: 1e9,
      siteWatts: 1e9,
    });
    expect(physicalGpuLimit(c, 500)).toBe(18);
    expect(physicalGpuLimit(c, 1_000)).toBe(9);
    const loose = gridCluster({ racksPerRow: 2, nodesPerRack: 2, gpusPerNode: 8, rackWatts: 1e9, rowWatts: 1e9 });
    expect(physicalGpuLimit(loose, 500)).toBe(32);
  });

  it('the benchmark cluster is power-bound at every level below the site', () => {
    const c = powerLimitedCluster();
    const gpus = c.nodes.reduce((s, n) => s + n.gpus.length, 0);
    const limit = physicalGpuLimit(c, 600);
    expect(limit).toBeLessThan(gpus);
    expect(c.nodes.reduce((s, n) => s + n.gpus.reduce((a, g) => a + g.tdpWatts, 0), 0)).toBeGreaterThan(1_300_000);
  });
});

describe('power-limited quality', () => {
  it('fills what power allows without a budget violation (default policy, whole GPUs only)', () => {
    const r = powerLimitedQuality({ policy: 'switchyard', seeds: [7], wholeGpusOnly: true });
    expect(r.violations).toBe(0);
    expect(r.perSeed[0].allocatedGpus).toBeLessThanOrEqual(r.physicalLimitGpus);
    expect(r.qualityPercent).toBeGreaterThanOrEqual(97);
  });

  it('rejects nonsense options', () => {
    expect(() => powerLimitedQuality({ policy: 'fgd', seeds: [] })).toThrow(RangeError);
    expect(() => powerLimitedQuality({ policy: 'fgd', seeds: [1], wattsPerGpu: 0 })).toThrow(RangeError);
  });
});
