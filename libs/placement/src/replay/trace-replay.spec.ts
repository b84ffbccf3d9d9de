import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fgdPolicy } from '../policies/fgd';
import type { PodDemand } from '../policies/policy';
import { allocationCurveCsv, allocationCurveSvg } from './allocation-curve';
import { workloadFromDemands } from '../policies/workload';
import { engineReplayCluster, traceCluster } from './engine-cluster';
import { replayTrace } from './replay-trace';
import { seededRandom } from './seeded-random';
import { parseTraceNodes, parseTracePods, requestedGpuMilli, TraceFormatError, type TracePod } from './trace-csv';
import { arrivalOrder, nodeOrder, replayWorkload, type ReplayCluster } from './trace-replay';
import { tuneWorkload } from './workload-tuning';

// A small slice in the trace's own format: 6 GPU nodes (22 GPUs) and one CPU-only node.
const NODES_CSV = [
  'sn,cpu_milli,memory_mib,gpu,model',
  'node-a,64000,262144,8,G2',
  'node-b,64000,262144,8,G2',
  'node-c,32000,131072,2,T4',
  'node-d,32000,131072,2,T4',
  'node-e,16000,65536,1,P100',
  'node-f,16000,65536,1,P100',
  'node-cpu,96000,393216,0,',
].join('\n');

const SHAPES: [number, number, number, number, string][] = [
  [4000, 16384, 1, 1000, ''],
  [2000, 8192, 1, 500, ''],
  [2000, 8192, 1, 250, 'T4'],
  [8000, 32768, 2, 1000, ''],
  [6000, 12288, 1, 810, ''],
  [1000, 4096, 0, 0, ''],
  [12000, 65536, 4, 1000, 'G2'],
];
function podsCsv(n: number): string {
  const lines = [
    'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time',
  ];
  for (let i = 0; i < n; i++) {
    const [cpu, mem, g, m, spec] = SHAPES[(i * 7 + (i >> 2)) % SHAPES.length];
    lines.push(`pod-${String(i).padStart(4, '0')},${cpu},${mem},${g},${m},${spec},LS,Running,0,1,0`);
  }
  return lines.join('\n');
}

const nodes = parseTraceNodes(NODES_CSV);
/** The seed's stream as the replay leaves it after drawing the arrival order (tune 3). */
function runRandom(seed: number) {
  const random = seededRandom(seed);
  arrivalOrder(parseTracePods(podsCsv(30)), 22 * 1000, 3, random);
  return random;
}
const pods = parseTracePods(podsCsv(30));
const capacity = 22 * 1000;

describe('trace CSV', () => {
  it('reads nodes and pods, capping shares at 1000 and splitting products', () => {
    expect(nodes).toHaveLength(7);
    expect(nodes[2]).toEqual({ name: 'node-c', cpuMilli: 32000, memoryMiB: 131072, gpuCount: 2, gpuProduct: 'T4' });
    const [p] = parseTracePods(
      'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\nx,1000,2048,1,1500,V100M16|V100M32',
    );
    expect(p.demand).toEqual({
      cpuMilli: 1000,
      memoryMiB: 2048,
      gpuCount: 1,
      gpuMilli: 1000,
      allowedProducts: ['V100M16', 'V100M32'],
    });
    const [multi] = parseTracePods('name,cpu_milli,memory_mib,num_gpu,gpu_milli\ny,1000,2048,4,1000');
    expect(multi.demand).toMatchObject({ gpuCount: 4, gpuMilli: 1000, allowedProducts: null });
  });

  it.each([
    ['a missing column', 'name,cpu_milli,memory_mib,num_gpu\nx,1,1,1', 'gpu_milli'],
    ['a negative number', 'name,cpu_milli,memory_mib,num_gpu,gpu_milli\nx,-5,1,0,0', 'cpu_milli'],
    ['a non-number', 'name,cpu_milli,memory_mib,num_gpu,gpu_milli\nx,1,abc,0,0', 'memory_mib'],
    ['a GPU pod without share', 'name,cpu_milli,memory_mib,num_gpu,gpu_milli\nx,1,1,1,0', 'gpu_milli'],
  ])('rejects %s with a TraceFormatError naming the field', (_name, text, field) => {
    expect(() => parseTracePods(text, 'pods.csv')).toThrow(TraceFormatError);
    try {
      parseTracePods(text, 'pods.csv');
    } catch (e) {
      expect((e as TraceFormatError).field).toBe(field);
    }
  });

  it('rejects duplicate nodes and GPU nodes without a model', () => {
    expect(() => parseTraceNodes('sn,cpu_milli,memory_mib,gpu,model\na,1,1,1,T4\na,1,1,1,T4')).toThrow(/duplicate/);
    expect(() => parseTraceNodes('sn,cpu_milli,memory_mib,gpu,model\na,1,1,1,')).toThrow(/model/);
  });
});

describe('workload tuning', () => {
  const milliOf = (ps: readonly TracePod[]) => ps.reduce((s, p) => s + requestedGpuMilli(p.demand), 0);
  const maxMilli = Math.max(...pods.map((p) => requestedGpuMilli(p.demand)));

  it.each([0.5, 1.3, 3])('tunes to ratio %s: at or under the target, within one pod of it', (ratio) => {
    const tuned = tuneWorkload(pods, capacity, ratio, seededRandom(7));
    const total = milliOf(tuned);
    expect(total).toBeLessThanOrEqual(ratio * capacity);
    expect(total).toBeGreaterThan(ratio * capacity - maxMilli);
    expect(new Set(tuned.map((p) => p.name)).size).toBe(tuned.length);
  });

  it('appends copies of trace pods only, and removes without inventing', () => {
    const byName = new Map(pods.map((p) => [p.name, p.demand]));
    const up = tuneWorkload(pods, capacity, 3, seededRandom(1));
    expect(up.length).toBeGreaterThan(pods.length);
    for (const p of up) expect(byName.get(p.name.replace(/-copy\d+$/, ''))).toBe(p.demand);
    const down = tuneWorkload(pods, capacity, 0.5, seededRandom(1));
    for (const p of down) expect(byName.get(p.name)).toBe(p.demand);
  });

  it('rejects a ratio that is not a positive number', () => {
    expect(() => tuneWorkload(pods, capacity, 0, seededRandom(1))).toThrow(RangeError);
    expect(() => tuneWorkload(pods, capacity, Number.NaN, seededRandom(1))).toThrow(RangeError);
  });
});

describe('arrival order', () => {
  it('replays the whole shuffled trace before any appended copy, as the simulator does', () => {
    const order = arrivalOrder(pods, capacity, 3, seededRandom(42));
    const firstCopy = order.findIndex((p) => p.name.includes('-copy'));
    expect(firstCopy).toBe(pods.length);
    expect(new Set(order.slice(0, firstCopy).map((p) => p.name))).toEqual(new Set(pods.map((p) => p.name)));
  });

  it('removes pods without reordering the rest when the trace asks for more than the target', () => {
    const shuffled = [...pods].reverse();
    const down = tuneWorkload(shuffled, capacity, 0.5, seededRandom(3));
    const position = new Map(shuffled.map((p, i) => [p.name, i]));
    const positions = down.map((p) => position.get(p.name)!);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(down.length).toBeLessThan(shuffled.length);
  });

  it('puts the GPU nodes in a seeded order: a permutation, the same for the same seed', () => {
    const gpuNodes = nodes.filter((n) => n.gpuCount > 0);
    const a = nodeOrder(gpuNodes, seededRandom(42)).map((n) => n.name);
    const b = nodeOrder([...gpuNodes].reverse(), seededRandom(42)).map((n) => n.name);
    expect(a).toEqual(b);
    expect([...a].sort()).toEqual(gpuNodes.map((n) => n.name).sort());
    const orders = new Set(
      [1, 2, 3, 4, 5, 6].map((seed) =>
        nodeOrder(gpuNodes, seededRandom(seed))
          .map((n) => n.name)
          .join(),
      ),
    );
    expect(orders.size).toBeGreaterThan(1);
  });

  it('numbers the engine cluster in the order given, so ties go to the first node of the run', () => {
    const gpuNodes = nodeOrder(
      nodes.filter((n) => n.gpuCount > 0),
      seededRandom(7),
    );
    expect(traceCluster(gpuNodes).nodes.map((n) => n.id)).toEqual(gpuNodes.map((n) => n.name));
  });

  it('hands every run the typical pods of the trace as read (before tuning) and its own node order', () => {
    const seen: { workload: unknown; nodes: string[] }[] = [];
    replayWorkload({
      nodes,
      pods,
      policy: fgdPolicy(),
      seeds: [1, 2, 3],
      tune: 3,
      cluster: (ns, _p, w) => {
        seen.push({ workload: w, nodes: ns.map((n) => n.name) });
        return { place: () => true };
      },
    });
    expect(seen).toHaveLength(3);
    for (const s of seen) expect(s.workload).toEqual(workloadFromDemands(pods.map((p) => p.demand)));
    seen.forEach((s, i) =>
      expect(s.nodes).toEqual(
        nodeOrder(
          nodes.filter((n) => n.gpuCount > 0),
          runRandom(i + 1),
        ).map((n) => n.name),
      ),
    );
  });

  it('is a function of the seed, whatever the input order', () => {
    const a = arrivalOrder(pods, capacity, 1.3, seededRandom(42)).map((p) => p.name);
    const b = arrivalOrder([...pods].reverse(), capacity, 1.3, seededRandom(42)).map((p) => p.name);
    const c = arrivalOrder(pods, capacity, 1.3, seededRandom(43)).map((p) => p.name);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });
});

describe('replay bookkeeping', () => {
  const always: ReplayCluster = { place: () => true };
  const gpuPods = (d: PodDemand) => d.gpuCount > 0;

  it('allocation equals arrived demand when every pod is placed', () => {
    const r = replayWorkload({ nodes, pods, policy: fgdPolicy(), seeds: [1], tune: 1.3, cluster: () => always });
    const s = r.perSeed[0];
    expect(s.dropped).toBe(0);
    for (const p of r.curve) expect(Math.abs(p.mean - p.demandPercent)).toBeLessThanOrEqual(0.5 + 1e-9);
    expect(r.gpus).toBe(22);
    expect(r.nodes).toBe(6);
  });

  it('allocation is 0 when nothing is placed, and dropped demand is what arrived', () => {
    const r = replayWorkload({
      nodes,
      pods,
      policy: fgdPolicy(),
      seeds: [1],
      tune: 1.3,
      cluster: () => ({ place: () => false }),
    });
    expect(r.allocation).toEqual({ '100': 0, '110': 0, '120': 0, '130': 0 });
    const arrived = arrivalOrder(pods, capacity, 1.3, seededRandom(1)).reduce(
      (s, p) => s + requestedGpuMilli(p.demand),
      0,
    );
    expect(r.perSeed[0].droppedDemandPercent).toBeCloseTo((arrived * 100) / capacity, 9);
  });

  it('"allocation at X" is the mean over the pod events whose arrived demand rounds to X', () => {
    // Place only CPU-only pods and every second GPU pod, and recompute the figure by hand.
    let n = 0;
    const half: ReplayCluster = { place: (d) => !gpuPods(d) || n++ % 2 === 0 };
    const r = replayWorkload({ nodes, pods, policy: fgdPolicy(), seeds: [5], tune: 1.3, cluster: () => half });
    let k = 0;
    let arrived = 0;
    let allocated = 0;
    const buckets = new Map<number, number[]>();
    for (const p of arrivalOrder(pods, capacity, 1.3, seededRandom(5))) {
      const m = requestedGpuMilli(p.demand);
      arrived += m;
      if (!gpuPods(p.demand) || k++ % 2 === 0) allocated += m;
      const x = Math.round((arrived * 100) / capacity);
      buckets.set(x, [...(buckets.get(x) ?? []), (allocated * 100) / capacity]);
    }
    const expected = (x: number) => {
      const v = buckets.get(x)!;
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    expect(buckets.size).toBeGreaterThan(5);
    for (const x of buckets.keys()) if (x <= 130) expect(r.perSeed[0].curve[x]).toBeCloseTo(expected(x), 9);
    // A reported demand no event rounds to reads the last value before it.
    const carried = (x: number) => {
      for (let i = x; i >= 0; i--) if (buckets.has(i)) return expected(i);
      return 0;
    };
    expect(r.allocation['100']).toBeCloseTo(carried(100), 9);
    expect(r.allocation['130']).toBeCloseTo(carried(130), 9);
  });

  it('means and spread over seeds come from the per-seed figures', () => {
    const r = replayWorkload({
      nodes,
      pods,
      policy: fgdPolicy(),
      seeds: [1, 2, 3],
      tune: 1.3,
      cluster: (ns, p, w) => engineReplayCluster(ns, p, w),
    });
    const v = r.perSeed.map((s) => s.allocation['130']);
    const mean = v.reduce((a, b) => a + b, 0) / 3;
    expect(r.allocation['130']).toBeCloseTo(mean, 12);
    expect(r.spread['130']).toBeCloseTo(Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / 2), 12);
    for (const s of r.perSeed) {
      expect(s.placed + s.dropped).toBe(s.pods);
      expect(s.allocation['130']).toBeLessThanOrEqual(100);
      expect(s.allocation['130']).toBeGreaterThan(0);
    }
  });

  it('is deterministic: the same seeds give the same result through the engine', () => {
    const run = () =>
      replayWorkload({
        nodes,
        pods,
        policy: fgdPolicy(),
        seeds: [9, 10],
        tune: 1.3,
        cluster: (ns, p, w) => engineReplayCluster(ns, p, w),
      });
    expect(run()).toEqual(run());
  });

  it('rejects a cluster without GPUs and an empty seed list', () => {
    const cpuOnly = parseTraceNodes('sn,cpu_milli,memory_mib,gpu,model\nc,1000,1000,0,');
    expect(() =>
      replayWorkload({ nodes: cpuOnly, pods, policy: fgdPolicy(), seeds: [1], tune: 1.3, cluster: () => always }),
    ).toThrow(RangeError);
    expect(() =>
      replayWorkload({ nodes, pods, policy: fgdPolicy(), seeds: [], tune: 1.3, cluster: () => always }),
    ).toThrow(RangeError);
  });
});

describe('replayTrace (files through the engine) and its outputs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'replay-'));
    writeFileSync(join(dir, 'nodes.csv'), NODES_CSV);
    writeFileSync(join(dir, 'pods.csv'), podsCsv(40));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a named policy over the seeds, reports progress, and writes a curve', () => {
    const progress: number[] = [];
    const r = replayTrace({
      nodesCsv: join(dir, 'nodes.csv'),
      podsCsv: join(dir, 'pods.csv'),
      policy: 'fgd',
      seeds: [42, 43],
      tune: 1.3,
      onProgress: (d, t) => progress.push(d / t),
    });
    expect(r.policy).toBe('fgd');
    expect(r.seeds).toEqual([42, 43]);
    expect(Object.keys(r.allocation)).toEqual(['100', '110', '120', '130']);
    expect(progress[progress.length - 1]).toBe(1);

    const csv = allocationCurveCsv(r).trim().split('\n');
    expect(csv[0]).toBe(
      'demand_percent,mean_allocation_percent,min_allocation_percent,max_allocation_percent,seed_42,seed_43',
    );
    expect(csv).toHaveLength(r.curve.length + 1);

    const svg = allocationCurveSvg(r);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Arrived GPU demand (% of cluster GPUs)');
    expect(svg).toContain('GPU allocation (% of cluster GPUs)');
    expect(svg).toContain(`fgd: ${r.allocation['100'].toFixed(2)}% at 100`);
    expect(svg.match(/<svg/g)).toHaveLength(1);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });

  it('names the unknown policy and the bad file', () => {
    expect(() =>
      replayTrace({
        nodesCsv: join(dir, 'nodes.csv'),
        podsCsv: join(dir, 'pods.csv'),
        policy: 'nope',
        seeds: [1],
        tune: 1.3,
      }),
    ).toThrow(/nope/);
    writeFileSync(join(dir, 'bad.csv'), 'name,cpu_milli\nx,1');
    expect(() =>
      replayTrace({
        nodesCsv: join(dir, 'nodes.csv'),
        podsCsv: join(dir, 'bad.csv'),
        policy: 'fgd',
        seeds: [1],
        tune: 1.3,
      }),
    ).toThrow(/bad\.csv/);
  });
});
