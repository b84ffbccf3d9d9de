import { benchmarkPlacement, campusRequests } from './bench';
import { PlacementEngine } from './engine';
import { gridCluster } from './testing/builders';

describe('benchmarkPlacement (figures are printed, never asserted)', () => {
  it('runs the campus preset with zero violations and reports every figure', () => {
    const r = benchmarkPlacement({ preset: 'campus-200mw', pods: 3000, policy: 'bestfit', seed: 7 });
    expect(r).toMatchObject({ nodes: 15_000, gpus: 120_000, pods: 3000, violations: 0 });
    for (const k of ['placementsPerSecond', 'p50Micros', 'p99Micros', 'rssMiB', 'heapMiB'] as const)
      expect(Number.isFinite(r[k])).toBe(true);
    console.log(JSON.stringify(r));
  });

  it('is deterministic: the same stream and seed give the same decisions', () => {
    const run = () => {
      const e = new PlacementEngine(
        gridCluster({ halls: 2, rowsPerHall: 2, racksPerRow: 3, nodesPerRack: 4, rowWatts: 30_000 }),
        { policy: 'switchyard' },
      );
      return campusRequests(400, 11).map((r) => e.place(r));
    };
    const a = run();
    expect(a.some((r) => r.placed) && a.some((r) => !r.placed)).toBe(true);
    expect(run()).toEqual(a);
  });
});
