/** Properties of the node agent's reconcile over arbitrary GPUs and pods (fast-check). */
import fc from 'fast-check';
import { planPowerLimits, safeDefaultLimitWatts, type GpuPowerReading, type NodePod } from '@switchyard/node-agent';
import { pod } from './builders';

const readingsArb = fc
  .array(
    fc
      .record({
        min: fc.integer({ min: 50, max: 300 }),
        aboveMin: fc.integer({ min: 0, max: 600 }),
        headroom: fc.integer({ min: 0, max: 200 }),
      })
      .chain(({ min, aboveMin, headroom }) =>
        fc.integer({ min, max: min + aboveMin + headroom }).map((limit) => ({
          limitWatts: limit,
          minWatts: min,
          defaultWatts: min + aboveMin,
          maxWatts: min + aboveMin + headroom,
        })),
      ),
    { minLength: 1, maxLength: 8 },
  )
  .map((gpus): GpuPowerReading[] => gpus.map((g, index) => ({ index, ...g })));

const limitArb = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 0, max: 1500 }),
  fc.double({ min: 1, max: 1500, noNaN: true }).map((w) => w.toFixed(1)),
  fc.constantFrom('', 'abc', '-300', '1e3', ' 400 ', '400W'),
);

const podsArb = fc.array(
  fc.record({
    held: fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 }),
    watts: limitArb,
    garbled: fc.boolean(),
    finished: fc.boolean(),
  }),
  { maxLength: 6 },
);

function build(
  specs: { held: number[]; watts: number | string | undefined; garbled: boolean; finished: boolean }[],
): NodePod[] {
  return specs.map((s, i) =>
    pod(
      `p${i}`,
      s.garbled ? `${s.held.map((h) => `${h}=GPU-${i}-${h}`).join(',')},??` : s.held,
      s.watts,
      s.finished ? { phase: 'Failed' } : {},
    ),
  );
}

const upper = (g: GpuPowerReading) => Math.min(g.maxWatts, g.defaultWatts);

describe('planPowerLimits properties', () => {
  it('never above TDP or the maximum, never below the minimum, whole watts', () => {
    fc.assert(
      fc.property(readingsArb, podsArb, (readings, specs) => {
        const plan = planPowerLimits(build(specs), readings);
        for (const d of plan.gpus) {
          const g = readings[d.index];
          expect(Number.isInteger(d.watts)).toBe(true);
          expect(d.watts).toBeGreaterThanOrEqual(g.minWatts);
          expect(d.watts).toBeLessThanOrEqual(upper(g));
        }
        for (const a of plan.actions) expect(plan.gpus[a.index].watts).toBe(a.toWatts);
      }),
    );
  });

  it('a GPU no running pod holds is at its default; a pod gone gives its GPUs back', () => {
    fc.assert(
      fc.property(readingsArb, podsArb, fc.nat(), (readings, specs, pick) => {
        const pods = build(specs);
        const live = specs.filter((s) => !s.finished);
        for (const d of planPowerLimits(pods, readings).gpus)
          if (!live.some((s) => s.held.includes(d.index)))
            expect([d.watts, d.source]).toEqual([readings[d.index].defaultWatts, 'default']);
        if (pods.length === 0) return;
        const gone = pick % pods.length;
        const after = planPowerLimits(
          pods.filter((_, i) => i !== gone),
          readings,
        );
        for (const d of after.gpus) {
          const stillHeld = specs.some((s, i) => i !== gone && !s.finished && s.held.includes(d.index));
          if (!stillHeld) expect(d.watts).toBe(readings[d.index].defaultWatts);
        }
      }),
    );
  });

  it('malformed annotations hold their GPUs at or below the safe default; the lowest request wins', () => {
    fc.assert(
      fc.property(readingsArb, podsArb, (readings, specs) => {
        const plan = planPowerLimits(build(specs), readings);
        for (const d of plan.gpus) {
          const g = readings[d.index];
          const holders = plan.pods.filter((p) => p.gpus.includes(d.index));
          if (holders.some((p) => p.malformed !== null)) expect(d.watts).toBeLessThanOrEqual(safeDefaultLimitWatts(g));
          for (const p of holders)
            if (p.malformed === null && p.requestedWatts !== null)
              expect(d.watts).toBeLessThanOrEqual(
                Math.max(g.minWatts, Math.min(upper(g), Math.round(p.requestedWatts))),
              );
        }
      }),
    );
  });

  it('is idempotent: once its calls are applied, it plans none', () => {
    fc.assert(
      fc.property(readingsArb, podsArb, (readings, specs) => {
        const pods = build(specs);
        const plan = planPowerLimits(pods, readings);
        const applied = readings.map((g) => ({ ...g, limitWatts: plan.gpus[g.index].watts }));
        expect(planPowerLimits(pods, applied).actions).toEqual([]);
        const changed = readings.filter((g) => g.limitWatts !== plan.gpus[g.index].watts).map((g) => g.index);
        expect(plan.actions.map((a) => a.index)).toEqual(changed);
      }),
    );
  });
});
