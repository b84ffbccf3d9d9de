import { ExpositionParseError, ExpositionParser, LabelSetCache, type ExpositionSample } from './exposition-parser';

function parse(text: string | Uint8Array[], wanted?: string[]): ExpositionSample[] {
  const samples: ExpositionSample[] = [];
  const parser = new ExpositionParser((s) => samples.push(s), wanted ? new Set(wanted) : undefined);
  for (const chunk of typeof text === 'string' ? [text] : text) parser.push(chunk);
  parser.end();
  return samples;
}

const DCGM = [
  '# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).',
  '# TYPE DCGM_FI_DEV_POWER_USAGE gauge',
  'DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-1",Hostname="n1",modelName="NVIDIA H200",pod=""} 84',
  'DCGM_FI_DEV_POWER_USAGE{gpu="1",UUID="GPU-2",Hostname="n1",modelName="NVIDIA H200",pod="vlm-0"} 612.125 1733313600000',
  '',
  '# a comment',
  'ipmi_dcmi_power_consumption_watts{node="n1",} 9120',
  'up 1',
  'weird{a="quote \\" slash \\\\ newline \\n end"} -Inf',
  'nan_value NaN',
  '',
].join('\n');

describe('ExpositionParser', () => {
  it('reads samples with labels, values, timestamps, escapes and special values', () => {
    const samples = parse(DCGM);
    expect(samples.map((s) => s.name)).toEqual([
      'DCGM_FI_DEV_POWER_USAGE',
      'DCGM_FI_DEV_POWER_USAGE',
      'ipmi_dcmi_power_consumption_watts',
      'up',
      'weird',
      'nan_value',
    ]);
    expect(samples[1]).toEqual({
      name: 'DCGM_FI_DEV_POWER_USAGE',
      labels: { gpu: '1', UUID: 'GPU-2', Hostname: 'n1', modelName: 'NVIDIA H200', pod: 'vlm-0' },
      value: 612.125,
      timestampMs: 1733313600000,
    });
    expect(samples[2].labels).toEqual({ node: 'n1' });
    expect(samples[3]).toEqual({ name: 'up', labels: {}, value: 1, timestampMs: null });
    expect(samples[4].labels.a).toBe('quote " slash \\ newline \n end');
    expect(samples[4].value).toBe(-Infinity);
    expect(samples[5].value).toBeNaN();
  });

  it('gives the same samples however the bytes are split, multi-byte characters included', () => {
    const text = DCGM + 'labelled{who="Zoë ☃"} 2\n';
    const whole = parse(text);
    const bytes = new TextEncoder().encode(text);
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(parse(chunks)).toEqual(whole);
    }
    expect(whole.at(-1)!.labels.who).toBe('Zoë ☃');
  });

  it('reports only the wanted metrics, and still checks the rest', () => {
    expect(parse(DCGM, ['ipmi_dcmi_power_consumption_watts']).map((s) => s.value)).toEqual([9120]);
    expect(() => parse('up 1\nbroken{ 1\n', ['up'])).toThrow(ExpositionParseError);
  });

  it('reads a last line without a newline', () => {
    expect(parse('a 1\nb 2').map((s) => s.value)).toEqual([1, 2]);
  });

  it.each([
    ['9bad 1', 'line 1: invalid metric name'],
    ['m{a="1"', 'unterminated'],
    ['m{a=1} 2', 'needs a quoted value'],
    ['m{a="1" b="2"} 3', 'expected "," or "}"'],
    ['m{a="1",a="2"} 3', 'given twice'],
    ['m{1a="x"} 3', 'invalid label name'],
    ['m{a="\\x"} 3', 'invalid escape'],
    ['m', 'expected a value'],
    ['m{a="1"}', 'expected a value'],
    ['m 1 2 3', 'expected a value'],
    ['m one', 'invalid value "one"'],
    ['m 1 1.5', 'invalid timestamp'],
    ['# TYPE m gauge\n# TYPE m gauge', 'line 2: second # TYPE'],
    ['# TYPE m thing', 'invalid # TYPE'],
    ['# HELP', 'needs a metric name'],
  ])('refuses %j (%s)', (text, message) => {
    expect(() => parse(text)).toThrow(message);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(() => parse([new Uint8Array([0x6d, 0x7b, 0x61, 0x3d, 0x22, 0xff, 0x22, 0x7d, 0x20, 0x31, 0x0a])])).toThrow();
  });
});

describe('ExpositionParser label sets kept between parses', () => {
  it('gives the same samples from a kept label set, and still refuses a malformed line', () => {
    const kept = new LabelSetCache();
    const read = (text: string) => {
      const samples: ExpositionSample[] = [];
      const parser = new ExpositionParser((s) => samples.push(s), undefined, kept);
      parser.push(text);
      parser.end();
      return samples;
    };
    const first = read(DCGM);
    expect(kept.size).toBeGreaterThan(0);
    expect(read(DCGM)).toEqual(first);
    expect(read(DCGM)[0].labels).toBe(first[0].labels);
    expect(() => read('DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-1",Hostname="n1"} x')).toThrow('invalid value');
    // Series in another order, or changed, are still read right.
    const reordered = DCGM.split('\n').reverse().join('\n');
    expect(read(reordered)).toEqual(parse(reordered));
    const changed = DCGM.replace('pod="vlm-0"', 'pod="vlm-1"');
    expect(read(changed)[1].labels.pod).toBe('vlm-1');
    expect(read(DCGM)).toEqual(first);
  });
});

describe('ExpositionParser values', () => {
  it('reads decimals exactly as Number() does', () => {
    const texts: string[] = [];
    let x = 12345;
    for (let i = 0; i < 5000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const watts = Math.round((x / 2 ** 31) * 1_000_000) / 1000;
      texts.push(String(watts), watts.toFixed(3), String(x), `${x}.${i}`, `0.${x}`);
    }
    texts.push('123456789012345', '1234567890123456', '0.1', '1e3', '-4.5', '+7', '.5', '5.', '00012.500');
    const values = parse(texts.map((t, i) => `m{i="${i}"} ${t}`).join('\n')).map((s) => s.value);
    expect(values).toEqual(texts.map(Number));
  });
});
