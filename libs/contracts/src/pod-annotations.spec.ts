import {
  formatGpuAnnotation,
  formatPowerLimitAnnotation,
  parseGpuAnnotation,
  parsePowerLimitAnnotation,
} from './pod-annotations';

const GPUS = [
  { index: 0, uuid: 'GPU-1c2f0b6e-0000-4000-8000-000000000000' },
  { index: 3, uuid: 'GPU-88a0d1f2-0000-4000-8000-000000000003' },
];

describe('switchyard.io/gpus', () => {
  it('formats indices and UUIDs and reads them back', () => {
    expect(formatGpuAnnotation(GPUS)).toBe(
      '0=GPU-1c2f0b6e-0000-4000-8000-000000000000,3=GPU-88a0d1f2-0000-4000-8000-000000000003',
    );
    expect(parseGpuAnnotation(formatGpuAnnotation(GPUS))).toEqual({ gpus: GPUS, malformed: [] });
    expect(formatGpuAnnotation([])).toBe('');
  });

  it.each([
    [undefined, [], []],
    ['', [], []],
    [' 1=GPU-b , ,', [{ index: 1, uuid: 'GPU-b' }], []],
    ['x=GPU-1', [], ['x=GPU-1']],
    ['0,1', [], ['0', '1']],
    ['-1=GPU-a,1.5=GPU-b,1e1=GPU-c', [], ['-1=GPU-a', '1.5=GPU-b', '1e1=GPU-c']],
    ['2=', [], ['2=']],
    ['=GPU-a', [], ['=GPU-a']],
    ['0=GPU-a=b', [], ['0=GPU-a=b']],
    [
      '0=GPU-a,0=GPU-b,2=GPU-c',
      [
        { index: 0, uuid: 'GPU-a' },
        { index: 2, uuid: 'GPU-c' },
      ],
      ['0=GPU-b'],
    ],
  ])('%j keeps %j and reports %j as malformed', (value, gpus, malformed) => {
    expect(parseGpuAnnotation(value)).toEqual({ gpus, malformed });
  });
});

describe('switchyard.io/power-limit-watts', () => {
  it('formats whole watts and reads them back', () => {
    expect(formatPowerLimitAnnotation(449.6)).toBe('450');
    expect(parsePowerLimitAnnotation(formatPowerLimitAnnotation(450))).toBe(450);
    expect(parsePowerLimitAnnotation(' 312.5 ')).toBe(312.5);
  });

  it.each([undefined, '', '0', '-300', 'abc', '300W', 'Infinity', '1e3', 'NaN'])('%j is no power limit', (value) => {
    expect(parsePowerLimitAnnotation(value)).toBeNull();
  });
});
