import fc from 'fast-check';
import {
  TopologyValidationError,
  deriveGpuUuid,
  generateTopology,
  nodeGpuList,
  parseTopology,
  rackLocations,
  stringifyTopology,
  topologyProblems,
  validateTopology,
  type TopologyDocument,
  type TopologyProblem,
} from '..';

/** 2 halls x 4 rows x 2 racks x 1 node: big enough for `halls[1].rows[3].racks[0]`. */
function smallTopology(): TopologyDocument {
  return generateTopology('demo', { halls: 2, rowsPerHall: 4, racksPerRow: 2, nodesPerRack: 1 });
}

type Mutable = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function problemsAfter(mutate: (doc: Mutable) => void): string[] {
  const doc = structuredClone(smallTopology()) as Mutable;
  mutate(doc);
  return topologyProblems(doc).map((p) => `${p.path}: ${p.message}`);
}

describe('validateTopology', () => {
  it('accepts the generated topologies and applies defaults', () => {
    const doc = smallTopology() as Mutable;
    delete doc.halls[0].rows[0].racks[0].oversubscriptionRatio;
    delete doc.nodes[0].labels;
    const valid = validateTopology(doc);
    expect(valid.halls[0].rows[0].racks[0].oversubscriptionRatio).toBe(1);
    expect(valid.nodes[0].labels).toEqual({});
  });

  it.each<[string, (doc: Mutable) => void, string]>([
    [
      'non-positive rack capacity',
      (d) => (d.halls[1].rows[3].racks[0].capacityWatts = 0),
      'halls[1].rows[3].racks[0].capacityWatts: must be > 0',
    ],
    ['negative hall capacity', (d) => (d.halls[0].capacityWatts = -5), 'halls[0].capacityWatts: must be > 0'],
    [
      'fractional watts',
      (d) => (d.site.capacityWatts = 1.5),
      'site.capacityWatts: must be an integer, not the number 1.5',
    ],
    [
      'watts as a string',
      (d) => (d.site.capacityWatts = '200MW'),
      'site.capacityWatts: must be a number, not the string "200MW"',
    ],
    [
      'oversubscription below 1.0',
      (d) => (d.halls[1].oversubscriptionRatio = 0.9),
      'halls[1].oversubscriptionRatio: must be >= 1',
    ],
    [
      'absurd oversubscription',
      (d) => (d.site.oversubscriptionRatio = 50),
      'site.oversubscriptionRatio: must be <= 10',
    ],
    [
      'unknown key on a rack',
      (d) => (d.halls[0].rows[0].racks[1].pdu = 'a'),
      'halls[0].rows[0].racks[1].pdu: unknown key',
    ],
    ['unknown top-level key', (d) => (d.extra = true), 'extra: unknown key'],
    ['wrong apiVersion', (d) => (d.apiVersion = 'v1'), 'apiVersion: must be "switchyard.io/v1alpha1"'],
    ['wrong kind', (d) => (d.kind = 'Cluster'), 'kind: must be "Topology"'],
    ['missing site', (d) => delete d.site, 'site: is required'],
    ['no halls', (d) => (d.halls = []), 'halls: must have at least 1 item'],
    [
      'duplicate hall name',
      (d) => (d.halls[1].name = d.halls[0].name),
      'halls[1].name: duplicate scope name "hall-a" (already used by the hall at halls[0])',
    ],
    [
      'rack named like a row',
      (d) => (d.halls[0].rows[1].racks[0].name = 'row-a01'),
      'halls[0].rows[1].racks[0].name: duplicate scope name "row-a01" (already used by the row at halls[0].rows[0])',
    ],
    [
      'rack named like the site',
      (d) => (d.halls[0].rows[0].racks[0].name = d.site.name),
      'halls[0].rows[0].racks[0].name: duplicate scope name "demo-dc" (already used by the site at site)',
    ],
    [
      'scope name that is not a label value',
      (d) => (d.halls[0].name = 'Hall A'),
      'halls[0].name: must be a valid Kubernetes label value (letters, digits, "-", "_", "." and start and end with a letter or digit)',
    ],
    [
      'duplicate node name',
      (d) => (d.nodes[3].name = d.nodes[0].name),
      'nodes[3].name: duplicate node name "gpu-a01-01-n1" (already used at nodes[0])',
    ],
    [
      'node name with capitals',
      (d) => (d.nodes[0].name = 'GPU-1'),
      'nodes[0].name: must be a valid Kubernetes node name (lower-case RFC 1123 subdomain)',
    ],
    ['node in no rack', (d) => delete d.nodes[2].rack, 'nodes[2].rack: is required'],
    ['node in an empty rack name', (d) => (d.nodes[2].rack = ''), 'nodes[2].rack: must not be empty'],
    ['dangling rack reference', (d) => (d.nodes[1].rack = 'rack-z99-01'), 'nodes[1].rack: unknown rack "rack-z99-01"'],
    ['node in a row', (d) => (d.nodes[1].rack = 'row-a01'), 'nodes[1].rack: "row-a01" is a row, not a rack'],
    [
      'idle above max',
      (d) => (d.nodes[4].idleWatts = 20_000),
      'nodes[4].idleWatts: must be <= maxWatts (20000 > 10200)',
    ],
    ['negative idle', (d) => (d.nodes[4].idleWatts = -1), 'nodes[4].idleWatts: must be >= 0'],
    ['zero cpu', (d) => (d.nodes[0].cpuMilli = 0), 'nodes[0].cpuMilli: must be > 0'],
    [
      'dangling GPU product',
      (d) => (d.nodes[5].gpus.product = 'NVIDIA-B200'),
      'nodes[5].gpus.product: unknown GPU product "NVIDIA-B200" (not in gpuProducts)',
    ],
    ['too many GPUs', (d) => (d.nodes[5].gpus.count = 17), 'nodes[5].gpus.count: must be <= 16'],
    ['zero GPUs', (d) => (d.nodes[5].gpus.count = 0), 'nodes[5].gpus.count: must be >= 1'],
    ['unknown key in gpus', (d) => (d.nodes[5].gpus.mig = true), 'nodes[5].gpus.mig: unknown key'],
    [
      'gpus neither form',
      (d) => (d.nodes[5].gpus = 8),
      'nodes[5].gpus: must be { product, count } or a list of { index, uuid, product }',
    ],
    [
      'duplicate GPU product',
      (d) => d.gpuProducts.push({ ...d.gpuProducts[0] }),
      'gpuProducts[1].name: duplicate GPU product "NVIDIA-H200" (already defined at gpuProducts[0])',
    ],
    [
      'power limit range inverted',
      (d) => (d.gpuProducts[0].minPowerLimitWatts = 800),
      'gpuProducts[0].minPowerLimitWatts: must be <= maxPowerLimitWatts (800 > 700)',
    ],
    [
      'TDP outside the power-limit range',
      (d) => (d.gpuProducts[0].tdpWatts = 1000),
      'gpuProducts[0].tdpWatts: must be between minPowerLimitWatts and maxPowerLimitWatts (200..700), not 1000',
    ],
    [
      'derived label set by hand',
      (d) => (d.nodes[0].labels['switchyard.io/rack'] = 'x'),
      'nodes[0].labels["switchyard.io/rack"]: is derived from the topology (rack, row, hall, GPUs) and may not be set',
    ],
    [
      'bad label key',
      (d) => (d.nodes[0].labels['a b'] = 'x'),
      'nodes[0].labels["a b"]: key must be a valid Kubernetes label name (at most 63 letters, digits, "-", "_", ".", optionally prefixed by a DNS subdomain and "/")',
    ],
    ['label value not a string', (d) => (d.nodes[0].labels.tier = 3), 'nodes[0].labels.tier: must be a string, not 3'],
  ])('rejects %s', (_name, mutate, expected) => {
    expect(problemsAfter(mutate)).toContain(expected);
  });

  describe('explicit GPU lists', () => {
    const explicit = (doc: Mutable, gpus: unknown) => (doc.nodes[0].gpus = gpus);
    const uuid = (n: number) => `GPU-00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

    it('accepts a list and keeps the listed UUIDs', () => {
      const doc = structuredClone(smallTopology()) as Mutable;
      explicit(doc, [
        { index: 1, uuid: uuid(2), product: 'NVIDIA-H200' },
        { index: 0, uuid: uuid(1), product: 'NVIDIA-H200' },
      ]);
      const valid = validateTopology(doc);
      expect(nodeGpuList(valid.nodes[0]).map((g) => g.uuid)).toEqual([uuid(1), uuid(2)]);
    });

    it.each<[string, unknown[], string]>([
      [
        'duplicate index',
        [
          { index: 0, uuid: uuid(1), product: 'NVIDIA-H200' },
          { index: 0, uuid: uuid(2), product: 'NVIDIA-H200' },
        ],
        'nodes[0].gpus[1].index: duplicate GPU index 0 (already used by gpus[0])',
      ],
      [
        'index past the end',
        [{ index: 3, uuid: uuid(1), product: 'NVIDIA-H200' }],
        "nodes[0].gpus[0].index: must be < 1: a node's GPU indices are 0..0",
      ],
      [
        'duplicate UUID',
        [
          { index: 0, uuid: uuid(1), product: 'NVIDIA-H200' },
          { index: 1, uuid: uuid(1), product: 'NVIDIA-H200' },
        ],
        `nodes[0].gpus[1].uuid: duplicate GPU UUID ${uuid(1)} (already used at nodes[0].gpus[0])`,
      ],
      [
        'malformed UUID',
        [{ index: 0, uuid: 'GPU-1', product: 'NVIDIA-H200' }],
        'nodes[0].gpus[0].uuid: must look like GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (lower-case hex)',
      ],
      [
        'unknown product',
        [{ index: 0, uuid: uuid(1), product: 'AMD-MI300X' }],
        'nodes[0].gpus[0].product: unknown GPU product "AMD-MI300X" (not in gpuProducts)',
      ],
      ['missing uuid', [{ index: 0, product: 'NVIDIA-H200' }], 'nodes[0].gpus[0].uuid: is required'],
      ['empty list', [], 'nodes[0].gpus: must have at least 1 item'],
    ])('rejects %s', (_name, gpus, expected) => {
      expect(problemsAfter((d) => explicit(d, gpus))).toContain(expected);
    });

    it('rejects mixed products on one node', () => {
      const problems = problemsAfter((d) => {
        d.gpuProducts.push({
          name: 'NVIDIA-H100',
          memoryMiB: 81_559,
          tdpWatts: 700,
          minPowerLimitWatts: 200,
          maxPowerLimitWatts: 700,
        });
        explicit(d, [
          { index: 0, uuid: uuid(1), product: 'NVIDIA-H200' },
          { index: 1, uuid: uuid(2), product: 'NVIDIA-H100' },
        ]);
      });
      expect(problems).toEqual([
        'nodes[0].gpus[1].product: all GPUs of a node must be the same product (gpus[0] is "NVIDIA-H200")',
      ]);
    });

    it('rejects a listed UUID equal to a derived one', () => {
      const doc = smallTopology();
      const taken = deriveGpuUuid(doc.nodes[1].name, 3);
      const problems = problemsAfter((d) => explicit(d, [{ index: 0, uuid: taken, product: 'NVIDIA-H200' }]));
      expect(problems).toEqual([
        `nodes[0].gpus[0].uuid: duplicate GPU UUID ${taken} (derived for GPU 3 of nodes[1].gpus)`,
      ]);
    });
  });

  it('lists every problem at once and accepts nothing', () => {
    const doc = structuredClone(smallTopology()) as Mutable;
    doc.halls[1].rows[3].racks[0].capacityWatts = 0;
    doc.site.oversubscriptionRatio = 0.5;
    doc.nodes[0].rack = 'nowhere';
    doc.nodes[1].name = doc.nodes[2].name;
    doc.halls[0].colour = 'blue';
    let error: unknown;
    try {
      validateTopology(doc);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TopologyValidationError);
    const problems = (error as TopologyValidationError).problems.map((p) => `${p.path}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'halls[1].rows[3].racks[0].capacityWatts: must be > 0',
        'site.oversubscriptionRatio: must be >= 1',
        'nodes[0].rack: unknown rack "nowhere"',
        'nodes[2].name: duplicate node name "gpu-a02-01-n1" (already used at nodes[1])',
        'halls[0].colour: unknown key',
      ]),
    );
    expect(problems).toHaveLength(5);
    expect((error as Error).message).toMatch(/^invalid topology: 5 problems\n {2}/);
  });

  it('rejects things that are not documents', () => {
    expect(topologyProblems(null)).toEqual([{ path: '(document)', message: expect.stringContaining('is empty') }]);
    expect(topologyProblems('hello')).toEqual([
      { path: '(document)', message: 'must be a mapping, not the string "hello"' },
    ]);
    expect(topologyProblems([])).toEqual([{ path: '(document)', message: 'must be a mapping, not a list' }]);
  });

  it('never crashes on random mutations: valid, or rejected with located problems', () => {
    const base = smallTopology();
    const paths = collectPaths(base);
    const mutation = fc.oneof(
      fc.record({
        op: fc.constant('set' as const),
        at: fc.constantFrom(...paths),
        value: fc.oneof(fc.anything(), fc.integer(), fc.double(), fc.string()),
      }),
      fc.record({ op: fc.constant('delete' as const), at: fc.constantFrom(...paths) }),
      fc.record({
        op: fc.constant('addKey' as const),
        at: fc.constantFrom(...paths),
        key: fc.string(),
        value: fc.anything(),
      }),
      fc.record({ op: fc.constant('duplicate' as const), at: fc.constantFrom(...paths) }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
        const doc = structuredClone(base) as Mutable;
        for (const m of mutations) applyMutation(doc, m);
        let problems: readonly TopologyProblem[] = [];
        try {
          validateTopology(doc);
        } catch (error) {
          expect(error).toBeInstanceOf(TopologyValidationError);
          problems = (error as TopologyValidationError).problems;
          expect(problems.length).toBeGreaterThan(0);
        }
        for (const p of problems) {
          expect(typeof p.path).toBe('string');
          expect(p.path.length).toBeGreaterThan(0);
          expect(p.message.length).toBeGreaterThan(0);
        }
        expect(topologyProblems(doc)).toEqual(problems);
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseTopology', () => {
  it('round-trips what stringifyTopology writes', () => {
    const doc = smallTopology();
    expect(parseTopology(stringifyTopology(doc))).toEqual(doc);
  });

  it('writes racks and nodes one per line', () => {
    const text = stringifyTopology(smallTopology());
    expect(text).toContain('  - { name: gpu-a01-01-n1, rack: rack-a01-01, cpuMilli: 224000,');
    expect(text).toContain('gpus: { product: NVIDIA-H200, count: 8 } }\n');
  });

  it('reports YAML syntax errors with line and column', () => {
    expect(() => parseTopology('apiVersion: switchyard.io/v1alpha1\nkind: [Topology\n')).toThrow(
      /\(document\): invalid YAML: line \d+, column \d+: /,
    );
  });

  it('rejects duplicate keys', () => {
    expect(() => parseTopology('kind: Topology\nkind: Topology\n')).toThrow(
      /invalid YAML: line 2, column \d+: duplicated mapping key/,
    );
  });

  it('keeps date-like scalars as strings', () => {
    const text = stringifyTopology(smallTopology()).replace('name: demo-dc', 'name: 2026-01-01');
    expect(parseTopology(text).site.name).toBe('2026-01-01');
  });

  it('refuses documents that explode through aliases', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    expect(() => parseTopology(levels.join('\n'))).toThrow(/expands to more than/);
  });

  it('reports shape problems of a parsed file by path', () => {
    const text = stringifyTopology(smallTopology()).replace('capacityWatts: 2000000', 'capacityWatts: -1');
    expect(() => parseTopology(text)).toThrow('site.capacityWatts: must be > 0');
  });
});

describe('derived views', () => {
  it('derives stable, distinct, nvidia-smi shaped GPU UUIDs', () => {
    expect(deriveGpuUuid('gpu-a01-01-n1', 0)).toBe(deriveGpuUuid('gpu-a01-01-n1', 0));
    expect(deriveGpuUuid('gpu-a01-01-n1', 0)).not.toBe(deriveGpuUuid('gpu-a01-01-n1', 1));
    expect(deriveGpuUuid('gpu-a01-01-n1', 0)).toMatch(
      /^GPU-[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    // Pinned: changing the derivation would rename every GPU already imported.
    expect(deriveGpuUuid('gpu-a01-01-n1', 0)).toMatchInlineSnapshot(`"GPU-849df7b4-9a99-57b1-9683-36b222d902cd"`);
  });

  it('locates every rack in its hall and row', () => {
    const doc = smallTopology();
    const where = rackLocations(doc).get('rack-b04-02');
    expect([where?.hall.name, where?.row.name, where?.rack.name]).toEqual(['hall-b', 'row-b04', 'rack-b04-02']);
  });
});

function collectPaths(root: unknown): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const walk = (value: unknown, path: Array<string | number>) => {
    out.push(path);
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(root, []);
  // Bounded: the scope tree and a few nodes are where the interesting rules live.
  return out.filter((p) => p.length > 0 && !(p[0] === 'nodes' && typeof p[1] === 'number' && p[1] > 3));
}

type Mutation =
  | { op: 'set'; at: Array<string | number>; value: unknown }
  | { op: 'delete'; at: Array<string | number> }
  | { op: 'addKey'; at: Array<string | number>; key: string; value: unknown }
  | { op: 'duplicate'; at: Array<string | number> };

function applyMutation(doc: Mutable, m: Mutation): void {
  let parent: Mutable = doc;
  for (const key of m.at.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return;
    parent = parent[key];
  }
  if (parent === null || typeof parent !== 'object') return;
  const last = m.at[m.at.length - 1];
  switch (m.op) {
    case 'set':
      parent[last] = m.value;
      break;
    case 'delete':
      if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
      else delete parent[last];
      break;
    case 'addKey': {
      const target = parent[last];
      if (target && typeof target === 'object' && !Array.isArray(target)) target[m.key] = m.value;
      break;
    }
    case 'duplicate':
      if (Array.isArray(parent) && typeof last === 'number') parent.push(structuredClone(parent[last]));
      break;
  }
}
