import type { ExclusionCount, ExclusionReason, Explanation, ScopeKind } from './model';
import type { NodeResources } from './policies/policy';
import type { ValidPod } from './request';

/** A group of nodes in the same free state. */
export interface ExplainClass {
  readonly resources: NodeResources;
  readonly product: string | null;
  readonly gpuMemoryMiB: number;
  readonly members: readonly number[];
}

/** What explainUnschedulable needs from the engine: node classes and power lookups. */
export interface ExplainInput {
  readonly totalNodes: number;
  /** Nodes outside [lo, hi) were excluded by a gang's topology. */
  readonly lo: number;
  readonly hi: number;
  readonly pod: ValidPod;
  readonly tenantRoomMw: number;
  readonly classes: readonly ExplainClass[];
  fits(cls: ExplainClass): boolean;
  minNeedMw(cls: ExplainClass): number;
  minNeedIgnoringTenantMw(cls: ExplainClass): number;
  powerRoom(n: number): { roomMw: number; scope: number };
  scopeKind(s: number): ScopeKind;
}

/** Order in which reasons are tested and listed: a node counts under the first that excludes it. */
const ORDER: readonly ExclusionReason[] = [
  'tenant-gpu-quota',
  'topology',
  'node-not-ready',
  'gpu-product',
  'gpu-memory',
  'gpus',
  'cpu',
  'memory',
  'tenant-watt-quota',
  'node-power',
  'rack-power',
  'row-power',
  'hall-power',
  'site-power',
];

const LABEL: Record<ExclusionReason, string> = {
  'tenant-gpu-quota': 'tenant GPU quota',
  topology: 'outside the gang topology',
  'node-not-ready': 'node not ready or cordoned',
  'gpu-product': 'GPU product',
  'gpu-memory': 'GPU memory',
  gpus: 'not enough free GPUs',
  cpu: 'not enough CPU',
  memory: 'not enough memory',
  'tenant-watt-quota': 'tenant power quota',
  'node-power': 'node power',
  'rack-power': 'rack power',
  'row-power': 'row power',
  'hall-power': 'hall power',
  'site-power': 'site power',
};

function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

class Tally {
  readonly counts = new Map<ExclusionReason, Mutable<ExclusionCount>>();
  add(reason: ExclusionReason, nodes: number, needs?: number, best?: number, unit?: ExclusionCount['unit']): void {
    if (nodes <= 0) return;
    const cur = this.counts.get(reason);
    if (cur === undefined) {
      const entry: Mutable<ExclusionCount> = { reason, nodes };
      if (needs !== undefined) Object.assign(entry, { needs, best, unit });
      this.counts.set(reason, entry);
      return;
    }
    cur.nodes += nodes;
    if (best !== undefined && (cur.best === undefined || best > cur.best)) cur.best = best;
  }
}

/**
 * Why no node takes the pod: each node counted under the first reason that excludes it,
 * with the closest miss per reason. Works per node class, so it costs about as much as a
 * search, not a pass over every node.
 */
export function explainUnschedulable(
  input: ExplainInput,
  quota: { quotaMilli?: number; askedMilli?: number },
): Explanation {
  const t = new Tally();
  const N = input.totalNodes;
  const pod = input.pod;
  const d = pod.demand;
  if (quota.quotaMilli !== undefined) {
    t.add('tenant-gpu-quota', N, (quota.askedMilli ?? 0) / 1000, Math.max(0, quota.quotaMilli) / 1000, 'gpus');
    return finish(t, input, N);
  }
  t.add('topology', N - (input.hi - input.lo));
  let ready = 0;
  for (const cls of input.classes) {
    const lo = lowerBound(cls.members, input.lo);
    const hi = lowerBound(cls.members, input.hi);
    const count = hi - lo;
    if (count === 0) continue;
    ready += count;
    const res = cls.resources;
    if (pod.totalMilli > 0) {
      if (cls.product === null || (pod.products !== null && !pod.products.has(cls.product))) {
        t.add('gpu-product', count);
        continue;
      }
      if (cls.gpuMemoryMiB < pod.minGpuMemoryMiB) {
        t.add('gpu-memory', count, pod.minGpuMemoryMiB, cls.gpuMemoryMiB, 'MiB');
        continue;
      }
      let usable = 0;
      let maxFree = 0;
      for (const f of res.gpuFreeMilli) {
        if (f >= d.gpuMilli) usable++;
        maxFree = Math.max(maxFree, f);
      }
      if (usable < d.gpuCount) {
        if (d.gpuMilli >= 1000) t.add('gpus', count, d.gpuCount, usable, 'gpus');
        else t.add('gpus', count, d.gpuMilli, maxFree, 'milli');
        continue;
      }
    }
    if (res.cpuFreeMilli < d.cpuMilli) {
      t.add('cpu', count, d.cpuMilli, res.cpuFreeMilli, 'milli');
      continue;
    }
    if (res.memoryFreeMiB < d.memoryMiB) {
      t.add('memory', count, d.memoryMiB, res.memoryFreeMiB, 'MiB');
      continue;
    }
    if (!input.fits(cls)) {
      // The policy declined a node the engine's own resource check accepts (e.g. its GPU choice rule).
      t.add('gpus', count);
      continue;
    }
    const need = input.minNeedMw(cls);
    if (need === Number.POSITIVE_INFINITY) {
      t.add(
        'tenant-watt-quota',
        count,
        input.minNeedIgnoringTenantMw(cls) / 1000,
        Math.max(0, input.tenantRoomMw) / 1000,
        'watts',
      );
      continue;
    }
    for (let i = lo; i < hi; i++) {
      const { roomMw, scope } = input.powerRoom(cls.members[i]);
      if (roomMw >= need) continue; // fits: a node the search did not take (spreading, ranges); nothing to explain
      const reason: ExclusionReason = scope < 0 ? 'node-power' : (`${input.scopeKind(scope)}-power` as ExclusionReason);
      t.add(reason, 1, need / 1000, Math.max(0, roomMw) / 1000, 'watts');
    }
  }
  t.add('node-not-ready', input.hi - input.lo - ready);
  return finish(t, input, N);
}

function fmt(v: number, unit: ExclusionCount['unit']): string {
  if (unit === 'watts') return v >= 1000 ? `${(v / 1000).toFixed(1)} kW` : `${Math.round(v)} W`;
  if (unit === 'MiB') return `${Math.round(v)} MiB`;
  if (unit === 'milli') return `${v} milli`;
  return `${v}`;
}

function finish(t: Tally, input: ExplainInput, N: number): Explanation {
  const reasons = ORDER.flatMap((r) => {
    const c = t.counts.get(r);
    return c ? [c] : [];
  });
  const parts = reasons.map((r) => {
    const miss =
      r.needs === undefined
        ? ''
        : ` (needs ${fmt(r.needs, r.unit)}, best ${r.unit === 'watts' ? 'headroom ' : ''}${fmt(r.best ?? 0, r.unit)})`;
    return `${r.nodes} ${LABEL[r.reason]}${miss}`;
  });
  return {
    totalNodes: N,
    podId: input.pod.request.id,
    reasons,
    message: `0/${N} nodes fit${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`,
  };
}
