import {
  capAllowed,
  FITS,
  gangAnchorFilter,
  minNeedMw,
  nodeReadyFilter,
  policyGpusFilter,
  powerFilter,
  stateStatus,
  tenantWattQuotaFilter,
  type FilterStatus,
  type GangDemand,
  type NodeFacts,
} from './filters';
import type { ExclusionCount, ExclusionReason, Explanation, ScopeKind } from './model';
import type { ValidPod } from './request';

/** A group of up nodes in the same free state. */
export interface ExplainClass extends NodeFacts {
  readonly members: readonly number[];
}

/** What explainUnschedulable needs from the engine: node classes, the policy's choice per class, power lookups. */
export interface ExplainInput<C extends ExplainClass = ExplainClass> {
  readonly totalNodes: number;
  readonly pod: ValidPod;
  /** The gang the pod is the first of (more than one pod), or null. */
  readonly gang: GangDemand | null;
  readonly tenantRoomMw: number;
  /** Every up node is a member of exactly one class; the others are not ready or cordoned. */
  readonly classes: readonly C[];
  policyGpus(cls: C): readonly number[] | null;
  powerRoom(n: number): { roomMw: number; scope: number };
  scopeKind(s: number): ScopeKind;
}

/** Order in which reasons are listed (the filters' order; see filters/index.ts). */
const ORDER: readonly ExclusionReason[] = [
  'tenant-gpu-quota',
  'node-not-ready',
  'gpu-product',
  'gpu-memory',
  'gpu-power-limit',
  'gpus',
  'cpu',
  'memory',
  'policy',
  'tenant-watt-quota',
  'node-power',
  'rack-power',
  'row-power',
  'hall-power',
  'site-power',
  'topology',
];

const LABEL: Record<ExclusionReason, string> = {
  'tenant-gpu-quota': 'tenant GPU quota',
  topology: 'outside the gang topology',
  'node-not-ready': 'node not ready or cordoned',
  'gpu-product': 'GPU product',
  'gpu-memory': 'GPU memory',
  'gpu-power-limit': 'GPU power-limit range',
  gpus: 'not enough free GPUs',
  cpu: 'not enough CPU',
  memory: 'not enough memory',
  policy: 'declined by the scoring policy',
  'tenant-watt-quota': 'tenant power quota',
  'node-power': 'node power',
  'rack-power': 'rack power',
  'row-power': 'row power',
  'hall-power': 'hall power',
  'site-power': 'site power',
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Nodes per reason, with the closest miss: the smallest need and the best any refused node had. */
class Tally {
  readonly counts = new Map<ExclusionReason, Mutable<ExclusionCount>>();
  add(s: FilterStatus, nodes: number): void {
    if (nodes <= 0 || s.reason === null) return;
    const cur = this.counts.get(s.reason);
    if (cur === undefined) {
      const entry: Mutable<ExclusionCount> = { reason: s.reason, nodes };
      if (s.needs !== undefined) Object.assign(entry, { needs: s.needs, best: s.best, unit: s.unit });
      this.counts.set(s.reason, entry);
      return;
    }
    cur.nodes += nodes;
    // The smallest need and the best any node had, whatever order the classes come in.
    if (s.needs !== undefined && (cur.needs === undefined || s.needs < cur.needs)) cur.needs = s.needs;
    if (s.best !== undefined && (cur.best === undefined || s.best > cur.best)) cur.best = s.best;
  }
}

/**
 * Why no node takes the pod: each node counted under the first filter that refuses it (the
 * filters' own statuses), with the closest miss per reason. `replica` is the status of the
 * filters that judge the whole replica (tenant GPU quota): a refusal there counts every node.
 * Works per node class, and per node only for power, so it costs about as much as a search.
 * A single pod's node that every filter accepts is not counted: the search would have taken it.
 */
export function explainUnschedulable<C extends ExplainClass>(
  input: ExplainInput<C>,
  replica: FilterStatus,
): Explanation {
  const t = new Tally();
  const N = input.totalNodes;
  if (replica !== FITS) {
    t.add(replica, N);
    return finish(t, input, N);
  }
  const pod = input.pod;
  let up = 0;
  for (const cls of input.classes) {
    const count = cls.members.length;
    up += count;
    const capOk = capAllowed(pod, cls.limitMin, cls.limitMax);
    let s = stateStatus(pod, cls);
    if (s === FITS) s = policyGpusFilter(input.policyGpus(cls));
    if (s === FITS) s = tenantWattQuotaFilter(pod, capOk, input.tenantRoomMw);
    if (s !== FITS) {
      t.add(s, count);
      continue;
    }
    const need = minNeedMw(pod, capOk, input.tenantRoomMw);
    for (const n of cls.members) {
      const { roomMw, scope } = input.powerRoom(n);
      let p = powerFilter(need, roomMw, scope < 0 ? 'node' : input.scopeKind(scope));
      if (p === FITS && input.gang !== null) p = gangAnchorFilter(false);
      t.add(p, 1);
    }
  }
  t.add(nodeReadyFilter({ up: false }), N - up);
  return finish(t, input, N);
}

function fmt(v: number, unit: ExclusionCount['unit']): string {
  if (unit === 'watts') return v >= 1000 ? `${(v / 1000).toFixed(1)} kW` : `${Math.round(v)} W`;
  if (unit === 'MiB') return `${Math.round(v)} MiB`;
  if (unit === 'milli') return `${v} milli`;
  return `${v}`;
}

function label(r: ExclusionReason, gang: GangDemand | null): string {
  if (r === 'topology' && gang !== null)
    return `in no ${gang.kind ?? 'cluster'} with room for the whole gang of ${gang.pods} pods`;
  return LABEL[r];
}

function finish(t: Tally, input: ExplainInput<ExplainClass>, N: number): Explanation {
  const reasons = ORDER.flatMap((r) => {
    const c = t.counts.get(r);
    return c ? [c] : [];
  });
  const parts = reasons.map((r) => {
    const miss =
      r.needs === undefined
        ? ''
        : ` (needs ${fmt(r.needs, r.unit)}, best ${r.unit === 'watts' ? 'headroom ' : ''}${fmt(r.best ?? 0, r.unit)})`;
    return `${r.nodes} ${label(r.reason, input.gang)}${miss}`;
  });
  return {
    totalNodes: N,
    podId: input.pod.request.id,
    reasons,
    message: `0/${N} nodes fit${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`,
  };
}

/** The message for a failure the caller asked not to explain. */
export function unexplained(totalNodes: number, podId: string): Explanation {
  return { totalNodes, podId, reasons: [], message: `0/${totalNodes} nodes fit (not explained)` };
}
