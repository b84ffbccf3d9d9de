import { PlacementInputError } from './errors';
import type { GangTopology, PodRequest, ReplicaRequest } from './model';
import type { PodDemand } from './policies/policy';
import { toMilliwatts, type Topology } from './topology';

/** A validated pod with what the engine derives once: its policy demand, cache key and watts. */
export interface ValidPod {
  readonly request: PodRequest;
  readonly demand: PodDemand;
  /** Identifies the demand for the per-node-class score cache. */
  readonly demandKey: string;
  readonly products: ReadonlySet<string> | null;
  readonly minGpuMemoryMiB: number;
  /** Total GPU share asked, in milli (gpuCount x gpuMilli). */
  readonly totalMilli: number;
  readonly watts: number;
  /** The same in integer milliwatts, as the engine accounts it. */
  readonly milliwatts: number;
  /** Capped alternative; null when capping is not allowed. */
  readonly cappedWatts: number | null;
  /** The capped alternative in milliwatts; Infinity when capping is not allowed. */
  readonly cappedMilliwatts: number;
  readonly capLimitWatts: number | null;
  /** False when the pod must always run capped. */
  readonly uncapped: boolean;
}

export interface ValidReplica {
  readonly request: ReplicaRequest;
  readonly pods: readonly ValidPod[];
  readonly tenant: string | null;
  readonly priority: number;
  readonly deployment: string | null;
  readonly spread: boolean;
  readonly topology: GangTopology | null;
  readonly totalMilli: number;
}

const TOPOLOGIES: readonly GangTopology[] = ['rack', 'row', 'hall'];

function num(v: unknown, field: string, opts: { integer?: boolean; min?: number; max?: number } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new PlacementInputError('invalid-value', field, `must be a finite number, got ${String(v)}`);
  if (opts.integer && !Number.isInteger(v))
    throw new PlacementInputError('invalid-value', field, `must be an integer, got ${v}`);
  if (opts.min !== undefined && v < opts.min)
    throw new PlacementInputError('invalid-value', field, `must be >= ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max)
    throw new PlacementInputError('invalid-value', field, `must be <= ${opts.max}, got ${v}`);
  return v;
}

function validatePod(p: PodRequest, field: string, topo: Topology): ValidPod {
  if (!p || typeof p !== 'object') throw new PlacementInputError('invalid-value', field, 'must be an object');
  if (typeof p.id !== 'string' || p.id === '')
    throw new PlacementInputError('invalid-value', `${field}.id`, 'must be a non-empty string');
  const cpu = num(p.cpuMilli, `${field}.cpuMilli`, { integer: true, min: 0 });
  const mem = num(p.memoryMiB, `${field}.memoryMiB`, { integer: true, min: 0 });
  const milli = num(p.gpuMilli, `${field}.gpuMilli`, { integer: true, min: 0, max: 1000 });
  const count = num(p.gpuCount, `${field}.gpuCount`, { integer: true, min: 0 });
  if (milli === 0 && count !== 0)
    throw new PlacementInputError('invalid-value', `${field}.gpuCount`, 'must be 0 when gpuMilli is 0');
  if (milli > 0 && milli < 1000 && count !== 1)
    throw new PlacementInputError('invalid-value', `${field}.gpuCount`, 'a fractional GPU share needs gpuCount 1');
  if (milli === 1000 && count < 1)
    throw new PlacementInputError('invalid-value', `${field}.gpuCount`, 'whole GPUs need gpuCount >= 1');
  if (count > topo.maxGpusPerNode)
    throw new PlacementInputError(
      'invalid-value',
      `${field}.gpuCount`,
      `${count} GPUs is more than any node has (${topo.maxGpusPerNode})`,
    );
  let products: Set<string> | null = null;
  const allowed = p.allowedProducts ?? null;
  if (allowed !== null) {
    if (!Array.isArray(allowed))
      throw new PlacementInputError('invalid-value', `${field}.allowedProducts`, 'must be an array or null');
    allowed.forEach((name, i) => {
      if (!topo.products.has(name))
        throw new PlacementInputError(
          'unknown-product',
          `${field}.allowedProducts[${i}]`,
          `no node has GPU product "${String(name)}"`,
        );
    });
    if (allowed.length > 0) products = new Set(allowed);
  }
  const minMem = p.minGpuMemoryMiB === undefined ? 0 : num(p.minGpuMemoryMiB, `${field}.minGpuMemoryMiB`, { min: 0 });
  const wattsPerGpu = num(p.wattsPerGpu, `${field}.wattsPerGpu`, { min: 0 });
  const share = (count * milli) / 1000;
  let cappedWatts: number | null = null;
  let capLimit: number | null = null;
  if (p.cap !== undefined && p.cap !== null) {
    capLimit = num(p.cap.limitWatts, `${field}.cap.limitWatts`, { min: 0 });
    const w = num(p.cap.wattsPerGpu, `${field}.cap.wattsPerGpu`, { min: 0 });
    if (w > wattsPerGpu)
      throw new PlacementInputError(
        'invalid-value',
        `${field}.cap.wattsPerGpu`,
        'must not exceed the uncapped wattsPerGpu',
      );
    cappedWatts = w * share;
    if (p.cap.always !== undefined && typeof p.cap.always !== 'boolean')
      throw new PlacementInputError('invalid-value', `${field}.cap.always`, 'must be a boolean');
  }
  const productList = products === null ? null : [...products].sort();
  return {
    request: p,
    demand: { cpuMilli: cpu, memoryMiB: mem, gpuCount: count, gpuMilli: milli, allowedProducts: productList },
    demandKey: `${cpu}|${mem}|${count}|${milli}|${productList === null ? '' : productList.join(',')}`,
    products,
    minGpuMemoryMiB: minMem,
    totalMilli: count * milli,
    watts: wattsPerGpu * share,
    milliwatts: toMilliwatts(wattsPerGpu * share),
    cappedWatts,
    cappedMilliwatts: cappedWatts === null ? Number.POSITIVE_INFINITY : toMilliwatts(cappedWatts),
    capLimitWatts: capLimit,
    uncapped: !(p.cap?.always ?? false),
  };
}

/** Checks a replica request against the cluster; throws PlacementInputError naming the field. */
export function validateReplica(r: ReplicaRequest, topo: Topology, tenants: ReadonlySet<string> | null): ValidReplica {
  if (!r || typeof r !== 'object') throw new PlacementInputError('invalid-value', 'replica', 'must be an object');
  if (typeof r.id !== 'string' || r.id === '')
    throw new PlacementInputError('invalid-value', 'id', 'must be a non-empty string');
  if (!Array.isArray(r.pods) || r.pods.length === 0)
    throw new PlacementInputError('invalid-value', 'pods', 'needs at least one pod');
  const pods = r.pods.map((p, i) => validatePod(p, `pods[${i}]`, topo));
  const ids = new Set<string>();
  pods.forEach((p, i) => {
    if (ids.has(p.request.id))
      throw new PlacementInputError('duplicate-id', `pods[${i}].id`, `duplicate pod "${p.request.id}"`);
    ids.add(p.request.id);
  });
  const tenant = r.tenant ?? null;
  if (tenant !== null && (typeof tenant !== 'string' || (tenants !== null && !tenants.has(tenant))))
    throw new PlacementInputError('unknown-tenant', 'tenant', `unknown tenant "${String(tenant)}"`);
  const priority = r.priority === undefined ? 0 : num(r.priority, 'priority');
  const topology = r.topology ?? null;
  if (topology !== null && !TOPOLOGIES.includes(topology))
    throw new PlacementInputError('invalid-value', 'topology', `must be one of ${TOPOLOGIES.join(', ')}`);
  const totalMilli = pods.reduce((a, p) => a + p.totalMilli, 0);
  // A gang must fit, GPU-wise, into at least one scope of its topology (the whole cluster without one).
  const room = (topology === null ? topo.scopeGpus[topo.root] : topo.maxGpusByKind[topology]) * 1000;
  if (totalMilli > room)
    throw new PlacementInputError(
      'gang-too-large',
      'pods',
      `asks ${totalMilli / 1000} GPUs, more than any ${topology ?? 'cluster'} has (${room / 1000})`,
    );
  const deployment = r.deployment ?? null;
  if (deployment !== null && typeof deployment !== 'string')
    throw new PlacementInputError('invalid-value', 'deployment', 'must be a string or null');
  return {
    request: r,
    pods,
    tenant,
    priority,
    deployment,
    spread: r.spread ?? deployment !== null,
    topology,
    totalMilli,
  };
}
