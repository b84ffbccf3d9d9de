/** The node agent's pure reconcile: which limit each GPU gets, which calls get it there, what each pod is told. */
import { ANNOTATION } from '@switchyard/contracts';
import {
  enforcementPatch,
  enforcementReports,
  planPowerLimits,
  safeDefaultLimitWatts,
  type GpuPowerReading,
  type NodePod,
} from '@switchyard/node-agent';
import { gpu, gpus, pod } from './builders';

const limits = (pods: NodePod[], readings: GpuPowerReading[]) =>
  planPowerLimits(pods, readings).gpus.map((g) => [g.index, g.watts, g.source]);

describe('planPowerLimits', () => {
  it.each<[string, NodePod[], GpuPowerReading[], (string | number)[][]]>([
    [
      'no pods: every GPU at its default',
      [],
      gpus(2, { limitWatts: 400 }),
      [
        [0, 700, 'default'],
        [1, 700, 'default'],
      ],
    ],
    [
      'a capped pod: its GPUs at its limit, the others at default',
      [pod('a', [1], 450)],
      gpus(2),
      [
        [0, 700, 'default'],
        [1, 450, 'requested'],
      ],
    ],
    ['an uncapped pod: default', [pod('a', [0])], gpus(1, { limitWatts: 300 }), [[0, 700, 'default']]],
    [
      'above TDP: clamped to TDP even when max is higher',
      [pod('a', [0], 900)],
      [gpu(0, { maxWatts: 800 })],
      [[0, 700, 'requested']],
    ],
    ['below the minimum: clamped to it', [pod('a', [0], 50)], gpus(1), [[0, 200, 'requested']]],
    ['fractional watts: whole watts', [pod('a', [0], '450.6')], gpus(1), [[0, 451, 'requested']]],
    [
      'two pods on one GPU asking different limits: the lower',
      [pod('a', [0], 500), pod('b', [0], 350)],
      gpus(1),
      [[0, 350, 'requested']],
    ],
    [
      'a capped and an uncapped pod sharing a GPU: the cap',
      [pod('a', [0]), pod('b', [0], 400)],
      gpus(1),
      [[0, 400, 'requested']],
    ],
    [
      'an unreadable limit: the safe default, 70 % of TDP',
      [pod('a', [0], 'lots')],
      gpus(1),
      [[0, 490, 'safe-default']],
    ],
    ['a negative limit: the safe default', [pod('a', [0], '-300')], gpus(1), [[0, 490, 'safe-default']]],
    [
      'an unreadable GPU list: the safe default on the GPUs it can name',
      [pod('a', '0=GPU-x,one=GPU-y', 600)],
      gpus(2),
      [
        [0, 490, 'safe-default'],
        [1, 700, 'default'],
      ],
    ],
    [
      'a GPU this node lacks: the safe default on the ones it has',
      [pod('a', [1, 9], 600)],
      gpus(2),
      [
        [0, 700, 'default'],
        [1, 490, 'safe-default'],
      ],
    ],
    [
      'malformed and a lower cap on one GPU: the lower',
      [pod('a', [0], 'x'), pod('b', [0], 300)],
      gpus(1),
      [[0, 300, 'requested']],
    ],
    [
      'a finished pod: as if gone',
      [pod('a', [0], 300, { phase: 'Succeeded' })],
      gpus(1, { limitWatts: 300 }),
      [[0, 700, 'default']],
    ],
    [
      'a pod Switchyard did not place: left alone',
      [{ key: 'default/x', annotations: { [ANNOTATION.powerLimitWatts]: '300' } }],
      gpus(1),
      [[0, 700, 'default']],
    ],
    [
      'the safe default respects the minimum',
      [pod('a', [0], 'x')],
      [gpu(0, { minWatts: 600 })],
      [[0, 600, 'safe-default']],
    ],
  ])('%s', (_what, pods, readings, expected) => {
    expect(limits(pods, readings)).toEqual(expected);
  });

  it('plans a call only for the GPUs whose limit in force differs', () => {
    const plan = planPowerLimits(
      [pod('a', [0, 1], 400)],
      [gpu(0, { limitWatts: 400 }), gpu(1, { limitWatts: 700 }), gpu(2, { limitWatts: 350 })],
    );
    expect(plan.actions).toEqual([
      { index: 1, fromWatts: 700, toWatts: 400 },
      { index: 2, fromWatts: 350, toWatts: 700 },
    ]);
  });

  it('names what is wrong with a malformed pod', () => {
    const [decision] = planPowerLimits([pod('a', '0=GPU-x,bad,7=GPU-z', 'abc')], gpus(2)).pods;
    expect(decision.gpus).toEqual([0]);
    expect(decision.malformed).toContain('entries cannot be read: bad');
    expect(decision.malformed).toContain('does not have: 7');
    expect(decision.malformed).toContain('"abc" is not a positive number of watts');
    expect(planPowerLimits([pod('a', '', 300)], gpus(1)).pods[0].malformed).toContain('names no GPU');
  });

  it('the safe default is 70 % of TDP, or the given fraction', () => {
    expect(safeDefaultLimitWatts(gpu(0))).toBe(490);
    expect(planPowerLimits([pod('a', [0], 'x')], gpus(1), { safeDefaultFraction: 0.5 }).gpus[0].watts).toBe(350);
  });
});

describe('enforcement reports', () => {
  const report = (pods: NodePod[], readings: GpuPowerReading[], after?: GpuPowerReading[]) => {
    const plan = planPowerLimits(pods, readings);
    const applied =
      after ?? readings.map((g) => ({ ...g, limitWatts: plan.gpus.find((d) => d.index === g.index)!.watts }));
    return Object.fromEntries(
      enforcementReports(plan, applied).map((r) => [r.key.split('/')[1], [r.enforcedWatts, r.enforcement]]),
    );
  };

  it('says what is in force and why, per pod', () => {
    expect(
      report(
        [
          pod('requested', [0], 400),
          pod('clamped', [1], 1000),
          pod('uncapped', [2]),
          pod('lowered', [3], 600),
          pod('lower', [3], 300),
          pod('shared-uncapped', [4]),
          pod('capper', [4], 500),
          pod('malformed', [5], 'x'),
          pod('nowhere', [9], 400),
        ],
        gpus(6),
      ),
    ).toEqual({
      requested: [400, 'requested'],
      clamped: [700, 'clamped'],
      uncapped: [700, 'default'],
      lowered: [300, 'lowered'],
      lower: [300, 'requested'],
      'shared-uncapped': [500, 'lowered'],
      capper: [500, 'requested'],
      malformed: [490, 'malformed'],
      nowhere: [null, 'malformed'],
    });
  });

  it('reports the limit actually in force when the driver did not take the plan', () => {
    expect(report([pod('a', [0], 400)], gpus(1), gpus(1))).toEqual({ a: [700, 'failed'] });
  });

  it('a multi-GPU pod reports the highest limit on its GPUs', () => {
    expect(report([pod('a', [0, 1], 500), pod('b', [1], 300)], gpus(2))).toEqual({
      a: [500, 'lowered'],
      b: [300, 'requested'],
    });
  });

  it('patches only annotations that differ, and removes the limit when there is none', () => {
    const [r] = enforcementReports(planPowerLimits([pod('a', [0], 400)], gpus(1)), gpus(1, { limitWatts: 400 }));
    expect(enforcementPatch({}, r)).toEqual({
      [ANNOTATION.enforcedPowerLimitWatts]: '400',
      [ANNOTATION.powerLimitEnforcement]: 'requested',
    });
    expect(
      enforcementPatch(
        { [ANNOTATION.enforcedPowerLimitWatts]: '400', [ANNOTATION.powerLimitEnforcement]: 'requested' },
        r,
      ),
    ).toBeNull();
    const gone = { key: 'default/a', enforcedWatts: null, enforcement: 'malformed' as const, detail: 'x' };
    expect(enforcementPatch({ [ANNOTATION.enforcedPowerLimitWatts]: '400' }, gone)).toEqual({
      [ANNOTATION.enforcedPowerLimitWatts]: null,
      [ANNOTATION.powerLimitEnforcement]: 'malformed',
    });
  });
});
