import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  generateTopology,
  parseTopology,
  presetTopologyYaml,
  summarizeTopology,
  validateTopology,
  type TopologyDocument,
} from '..';

const REPO = join(__dirname, '../../../..');

function effectiveWatts(scope: { capacityWatts: number; oversubscriptionRatio: number }): number {
  return scope.capacityWatts * scope.oversubscriptionRatio;
}

describe('generateTopology', () => {
  it('demo: 2 halls, 64 racks of 4 nodes, 256 nodes, 2,048 GPUs, budgets below the sum of their children', () => {
    const demo = validateTopology(generateTopology('demo'));
    expect(summarizeTopology(demo)).toEqual({
      halls: 2,
      rows: 8,
      racks: 64,
      nodes: 256,
      gpus: 2048,
      siteCapacityWatts: 2_000_000,
      nodeMaxWatts: 256 * 10_200,
    });
    expectBudgets(demo, { rackWatts: 40_000, hallRatios: [1.1] });
  });

  it('campus-200mw: 200 MW site, 15,000 nodes of 8 H200, 3,750 racks of 4 nodes at 40 kW, halls 1.1-1.2', () => {
    const campus = validateTopology(generateTopology('campus-200mw'));
    expect(summarizeTopology(campus)).toEqual({
      halls: 15,
      rows: 375,
      racks: 3750,
      nodes: 15_000,
      gpus: 120_000,
      siteCapacityWatts: 200_000_000,
      nodeMaxWatts: 15_000 * 10_200,
    });
    expect(campus.gpuProducts).toEqual([
      { name: 'NVIDIA-H200', memoryMiB: 143_771, tdpWatts: 700, minPowerLimitWatts: 200, maxPowerLimitWatts: 700 },
    ]);
    expectBudgets(campus, { rackWatts: 40_000, hallRatios: [1.1, 1.15, 1.2] });
  });

  it('is deterministic', () => {
    expect(generateTopology('demo')).toEqual(generateTopology('demo'));
  });

  it('produces a valid document for any shape', () => {
    fc.assert(
      fc.property(
        fc.record({
          halls: fc.integer({ min: 1, max: 30 }),
          rowsPerHall: fc.integer({ min: 1, max: 4 }),
          racksPerRow: fc.integer({ min: 1, max: 12 }),
          nodesPerRack: fc.integer({ min: 0, max: 3 }),
          gpusPerNode: fc.integer({ min: 1, max: 16 }),
        }),
        (shape) => {
          const summary = summarizeTopology(validateTopology(generateTopology('demo', shape)));
          expect(summary.racks).toBe(shape.halls * shape.rowsPerHall * shape.racksPerRow);
          expect(summary.gpus).toBe(summary.racks * shape.nodesPerRack * shape.gpusPerNode);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('rejects an unknown preset', () => {
    expect(() => generateTopology('campus' as never)).toThrow(
      'unknown topology preset "campus" (known: demo, campus-200mw)',
    );
  });
});

describe('deploy/examples/topology-demo.yaml', () => {
  const text = readFileSync(join(REPO, 'deploy/examples/topology-demo.yaml'), 'utf8');

  it('is what the generator writes (regenerate: switchyard topology generate --preset demo -o deploy/examples/topology-demo.yaml)', () => {
    expect(text).toBe(presetTopologyYaml('demo'));
  });

  it('parses to the demo preset', () => {
    expect(parseTopology(text)).toEqual(generateTopology('demo'));
  });
});

/** Racks at their budget; rows and halls budgeted below their children's sum, so they bind too. */
function expectBudgets(doc: TopologyDocument, expected: { rackWatts: number; hallRatios: number[] }): void {
  const hallRatios = new Set<number>();
  let hallsEffective = 0;
  for (const hall of doc.halls) {
    hallRatios.add(hall.oversubscriptionRatio);
    let rowsEffective = 0;
    for (const row of hall.rows) {
      let racksEffective = 0;
      for (const rack of row.racks) {
        expect(rack).toEqual(expect.objectContaining({ capacityWatts: expected.rackWatts, oversubscriptionRatio: 1 }));
        racksEffective += effectiveWatts(rack);
      }
      expect(effectiveWatts(row)).toBeLessThan(racksEffective);
      rowsEffective += effectiveWatts(row);
    }
    expect(effectiveWatts(hall)).toBeLessThan(rowsEffective);
    expect(hall.capacityWatts).toBeLessThan(effectiveWatts(hall));
    hallsEffective += effectiveWatts(hall);
  }
  expect([...hallRatios].sort()).toEqual(expected.hallRatios);
  expect(effectiveWatts(doc.site)).toBeGreaterThan(0);
  expect(hallsEffective).toBeGreaterThan(0);
  // 4 nodes at full power (40.8 kW) exceed a 40 kW rack: power binds before GPUs run out.
  const nodesPerRack =
    doc.nodes.length / doc.halls.reduce((n, h) => n + h.rows.reduce((m, r) => m + r.racks.length, 0), 0);
  expect(nodesPerRack).toBe(4);
  expect(nodesPerRack * doc.nodes[0].maxWatts).toBeGreaterThan(expected.rackWatts);
}
