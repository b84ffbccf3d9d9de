import { nodeClassCount } from './core/introspection';
import { engineCore, PlacementEngine } from './engine';
import { countViolations } from './invariants';
import type { PodRequest, ReplicaRequest } from './model';
import { DEFAULT_POLICY, policyByName } from './policies/registry';
import { workloadFromDemands } from './policies/workload';
import { campus200mw } from './testing/campus';

export interface PlacementBenchOptions {
  readonly preset: 'campus-200mw';
  /** Replicas to place (a 2-node gang counts once). */
  readonly pods: number;
  readonly policy?: string;
  readonly seed?: number;
  /** Keep about this share of GPU capacity allocated by releasing random replicas (default 0.85). */
  readonly targetUtilization?: number;
}

export interface PlacementBenchResult {
  readonly preset: string;
  readonly policy: string;
  readonly nodes: number;
  readonly gpus: number;
  readonly pods: number;
  readonly placed: number;
  readonly unplaced: number;
  readonly releases: number;
  readonly placementsPerSecond: number;
  readonly p50Micros: number;
  readonly p99Micros: number;
  readonly maxMicros: number;
  /**
   * The same from CPU time used by the process during each decision (process.cpuUsage), which
   * does not count time the process waited for a core: on a shared, loaded machine the wall-clock
   * tail is mostly other processes running.
   */
  readonly placementsPerCpuSecond: number;
  readonly p50CpuMicros: number;
  readonly p99CpuMicros: number;
  readonly rssMiB: number;
  readonly heapMiB: number;
  /** Independent recount of every hard constraint after the run; must be 0. */
  readonly violations: number;
  /** Distinct node states at the end (how much the per-class score cache shares). */
  readonly nodeClasses: number;
  readonly buildMillis: number;
}

/** mulberry32: small, fast, seedable; the stream must be the same for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The campus request stream: fractional (250/500 milli), 1, 2, 4 and 8 GPU pods and 2-node
 * gangs of 8 GPUs in one rack, with per-GPU power predictions; half may be capped to 500 W.
 */
export function campusRequests(count: number, seed: number): ReplicaRequest[] {
  return [...campusRequestStream(count, seed)];
}

/** The same stream, generated lazily (the benchmark does not hold 100,000 requests in memory). */
export function* campusRequestStream(count: number, seed: number): Generator<ReplicaRequest> {
  const rnd = seededRandom(seed);
  for (let i = 0; i < count; i++) {
    const x = rnd();
    const watts = [450, 550, 650][Math.floor(rnd() * 3)];
    const cap = rnd() < 0.5 ? { limitWatts: 500, wattsPerGpu: 420 } : null;
    const deployment = `d${Math.floor(rnd() * 400)}`;
    const pod = (id: string, gpuCount: number, gpuMilli: number): PodRequest => ({
      id,
      cpuMilli: gpuMilli < 1000 ? 4_000 : 16_000 * gpuCount,
      memoryMiB: gpuMilli < 1000 ? 32_768 : 131_072 * gpuCount,
      gpuCount,
      gpuMilli,
      wattsPerGpu: gpuMilli < 1000 ? 350 : watts,
      cap: gpuMilli < 1000 ? null : cap,
    });
    const id = `r${i}`;
    if (x < 0.15) yield { id, deployment, pods: [pod(`${id}/0`, 1, rnd() < 0.5 ? 250 : 500)] };
    else if (x < 0.92) {
      const gpus = x < 0.45 ? 1 : x < 0.65 ? 2 : x < 0.8 ? 4 : 8;
      yield { id, deployment, pods: [pod(`${id}/0`, gpus, 1000)] };
    } else yield { id, deployment, topology: 'rack', pods: [pod(`${id}/0`, 8, 1000), pod(`${id}/1`, 8, 1000)] };
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/**
 * Places `pods` replicas one at a time on the campus, keeping it about 85% allocated by
 * releasing random replicas (releases are not timed), and reports decision speed, memory
 * and an independent recount of hard-constraint violations.
 */
export function benchmarkPlacement(opts: PlacementBenchOptions): PlacementBenchResult {
  if (opts.preset !== 'campus-200mw') throw new Error(`unknown preset ${String(opts.preset)}`);
  const seed = opts.seed ?? 42;
  const policyName = opts.policy ?? DEFAULT_POLICY;
  const policy = policyByName(policyName);
  if (!Number.isInteger(opts.pods) || opts.pods < 1)
    throw new Error(`pods must be a positive integer, got ${String(opts.pods)}`);
  // FGD-style policies need the typical pods: estimated from the stream's first 10,000 requests.
  const sample = campusRequests(Math.min(opts.pods, 10_000), seed);
  const context = {
    workload: workloadFromDemands(sample.flatMap((r) => r.pods.map((p) => ({ ...p, allowedProducts: null })))),
  };
  sample.length = 0;
  const t0 = performance.now();
  const engine = new PlacementEngine(campus200mw(), { policy, context });
  const buildMillis = performance.now() - t0;
  const rnd = seededRandom(seed ^ 0x9e3779b9);
  const live: string[] = [];
  const target = (opts.targetUtilization ?? 0.85) * engine.gpuCount * 1000;
  const micros = new Float64Array(opts.pods);
  const cpuMicros = new Float64Array(opts.pods);
  let cpuTotal = 0;
  let placed = 0;
  let releases = 0;
  let total = 0;
  let i = 0;
  for (const request of campusRequestStream(opts.pods, seed)) {
    while (engine.allocatedMilli > target && live.length > 0) {
      const k = Math.floor(rnd() * live.length);
      engine.release(live[k]);
      live[k] = live[live.length - 1];
      live.pop();
      releases++;
    }
    const cpu0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    const r = engine.place(request);
    const took = Number(process.hrtime.bigint() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    micros[i] = took;
    total += took;
    cpuMicros[i] = cpu.user + cpu.system;
    cpuTotal += cpuMicros[i];
    i++;
    if (r.placed) {
      placed++;
      live.push(r.replicaId);
    }
  }
  const mem = process.memoryUsage();
  const sorted = micros.slice().sort();
  const cpuSorted = cpuMicros.slice().sort();
  return {
    preset: opts.preset,
    policy: policyName,
    nodes: engine.nodeCount,
    gpus: engine.gpuCount,
    pods: opts.pods,
    placed,
    unplaced: opts.pods - placed,
    releases,
    placementsPerSecond: Math.round(opts.pods / (total / 1e6)),
    p50Micros: Math.round(percentile(sorted, 0.5)),
    p99Micros: Math.round(percentile(sorted, 0.99)),
    maxMicros: Math.round(sorted[sorted.length - 1] ?? 0),
    placementsPerCpuSecond: Math.round(opts.pods / (cpuTotal / 1e6)),
    p50CpuMicros: Math.round(percentile(cpuSorted, 0.5)),
    p99CpuMicros: Math.round(percentile(cpuSorted, 0.99)),
    rssMiB: Math.round(mem.rss / 1048576),
    heapMiB: Math.round(mem.heapUsed / 1048576),
    violations: countViolations(engine).total,
    nodeClasses: nodeClassCount(engineCore(engine)),
    buildMillis: Math.round(buildMillis),
  };
}
