import {
  capAllowed,
  FITS,
  fixedGpuFacts,
  freeGpuSummary,
  gangAnchorFilter,
  nodeStatus,
  podMilliwatts,
  runsCapped,
  tenantGpuQuotaFilter,
  type FilterStatus,
  type NodeFacts,
} from './filters';
import type { ClusterInput, ExistingPlacement, PodPlacement, ReplicaRequest, ScopeKind } from './model';
import type { NodeResources, PolicyContext, ScoringPolicy } from './policies/policy';
import { validateReplica, type ValidPod, type ValidReplica } from './request';
import { buildTopology, scopeBudget, toMilliwatts, type Topology } from './topology';

/**
 * The brute-force reference: rebuilds the free state from the placements, then scores
 * every node that passes every filter, with no index and no cache. Same rules as the
 * engine (highest score, lowest node number on ties; spreading first, then without; a gang
 * anchored by its first pod's best node, one scope of its topology at a time, and inside it
 * every assignment of its pods enumerated depth first in the policy's order, with no pruning
 * and no step limit). Tests check the engine's decisions equal this one's; it is far too slow
 * for anything else.
 */
export type ReferenceResult = { placed: true; pods: PodPlacement[]; score: number } | { placed: false };

interface State {
  gpuFree: number[][];
  cpu: number[];
  mem: number[];
  nodeLoad: number[];
  scopeLoad: number[];
  tenantMilli: Map<string, number>;
  tenantMw: Map<string, number>;
  deploymentRacks: Map<string, Map<number, number>>;
}

function stateFrom(topo: Topology, placements: readonly ExistingPlacement[]): State {
  const st: State = {
    gpuFree: topo.nodes.map((n) => n.gpus.map(() => 1000)),
    cpu: topo.nodes.map((n) => n.cpuMilli),
    mem: topo.nodes.map((n) => n.memoryMiB),
    nodeLoad: topo.nodes.map(() => 0),
    scopeLoad: topo.scopes.map(() => 0),
    tenantMilli: new Map(),
    tenantMw: new Map(),
    deploymentRacks: new Map(),
  };
  for (const p of placements) {
    for (const pp of p.pods) {
      const req = p.replica.pods.find((x) => x.id === pp.podId)!;
      addPod(
        topo,
        st,
        topo.nodeIndex.get(pp.nodeId)!,
        pp.gpuIndices,
        req.gpuMilli,
        req.cpuMilli,
        req.memoryMiB,
        toMilliwatts(pp.predictedWatts),
        p.replica.tenant ?? null,
        p.replica.deployment ?? null,
      );
    }
  }
  return st;
}

function addPod(
  topo: Topology,
  st: State,
  n: number,
  gpus: readonly number[],
  milli: number,
  cpu: number,
  mem: number,
  mw: number,
  tenant: string | null,
  deployment: string | null,
  sign: 1 | -1 = 1,
): void {
  for (const g of gpus) st.gpuFree[n][g] -= sign * milli;
  st.cpu[n] -= sign * cpu;
  st.mem[n] -= sign * mem;
  st.nodeLoad[n] += sign * mw;
  for (const s of topo.nodePath[n]) st.scopeLoad[s] += sign * mw;
  if (tenant !== null) {
    st.tenantMilli.set(tenant, (st.tenantMilli.get(tenant) ?? 0) + sign * gpus.length * milli);
    st.tenantMw.set(tenant, (st.tenantMw.get(tenant) ?? 0) + sign * mw);
  }
  if (deployment !== null) {
    const m = st.deploymentRacks.get(deployment) ?? new Map<number, number>();
    m.set(topo.nodeRack[n], (m.get(topo.nodeRack[n]) ?? 0) + sign);
    st.deploymentRacks.set(deployment, m);
  }
}

interface Pick {
  node: number;
  gpus: readonly number[];
  score: number;
  mw: number;
  limit: number | null;
}

/** Node n as the filters see it, from the reference's own recount, with its tightest power headroom. */
interface NodeView {
  readonly facts: NodeFacts;
  readonly roomMw: number;
  readonly roomBudgetMw: number;
  readonly at: ScopeKind | 'node';
}

function nodeView(topo: Topology, budgets: readonly number[], st: State, n: number): NodeView {
  const node = topo.nodes[n];
  const resources: NodeResources = {
    gpuProduct: node.gpuProduct ?? '',
    gpuFreeMilli: [...st.gpuFree[n]],
    cpuFreeMilli: st.cpu[n],
    memoryFreeMiB: st.mem[n],
    cpuCapacityMilli: node.cpuMilli,
    memoryCapacityMiB: node.memoryMiB,
  };
  let roomMw = toMilliwatts(node.maxWatts) - st.nodeLoad[n];
  let roomBudgetMw = toMilliwatts(node.maxWatts);
  let at: ScopeKind | 'node' = 'node';
  for (const s of topo.nodePath[n])
    if (budgets[s] - st.scopeLoad[s] < roomMw) {
      roomMw = budgets[s] - st.scopeLoad[s];
      roomBudgetMw = budgets[s];
      at = topo.scopeKind[s];
    }
  const facts: NodeFacts = {
    up: node.ready !== false && node.schedulable !== false,
    product: node.gpuProduct,
    ...fixedGpuFacts(node),
    resources,
    ...freeGpuSummary(st.gpuFree[n]),
  };
  return { facts, roomMw, roomBudgetMw, at };
}

/** What the reference needs about the request and the cluster before judging nodes. */
function prepare(cluster: ClusterInput, placements: readonly ExistingPlacement[], request: ReplicaRequest) {
  const topo = buildTopology(cluster);
  const tenants = cluster.tenants ? new Set(cluster.tenants.map((t) => t.id)) : null;
  const v = validateReplica(request, topo, tenants);
  const budgets = topo.scopes.map((s) => toMilliwatts(scopeBudget(s)));
  const tenantInput = cluster.tenants?.find((t) => t.id === v.tenant);
  const base = stateFrom(topo, placements);
  const quota = tenantGpuQuotaFilter(
    v.tenant === null ? 0 : (base.tenantMilli.get(v.tenant) ?? 0),
    tenantInput?.gpuQuota == null ? undefined : Math.round(tenantInput.gpuQuota * 1000),
    v.totalMilli,
  );
  const tenantRoom = (st: State) =>
    tenantInput?.wattQuota == null ? Infinity : toMilliwatts(tenantInput.wattQuota) - (st.tenantMw.get(v.tenant!) ?? 0);
  return { topo, v, budgets, base, quota, tenantRoom };
}

export function referencePlace(
  cluster: ClusterInput,
  placements: readonly ExistingPlacement[],
  request: ReplicaRequest,
  policy: ScoringPolicy,
  ctx: PolicyContext = { workload: [] },
): ReferenceResult {
  const { topo, v, budgets, base, quota, tenantRoom } = prepare(cluster, placements, request);
  if (quota !== FITS) return { placed: false };

  /** Every node the pod fits on in [lo, hi), best first: highest score, then lowest node number. */
  const rankFor = (st: State, pod: ValidPod, lo: number, hi: number, excluded: (n: number) => boolean): Pick[] => {
    const all: Pick[] = [];
    const room = tenantRoom(st);
    for (let n = lo; n < hi; n++) {
      if (excluded(n)) continue;
      const view = nodeView(topo, budgets, st, n);
      const res = view.facts.resources;
      let gpus: readonly number[] | null = null;
      const status = nodeStatus(pod, view.facts, () => (gpus = policy.assignGpus(res, pod.demand, ctx)), room, view);
      if (status !== FITS || gpus === null) continue;
      const capOk = capAllowed(pod, view.facts.limitMin, view.facts.limitMax);
      const mw = podMilliwatts(pod, capOk, Math.min(view.roomMw, room));
      const path = topo.nodePath[n];
      const enclosing = path[path.length - 1];
      const score = policy.score(res, pod.demand, gpus, ctx, {
        headroomWatts: view.roomMw / 1000,
        budgetWatts: view.roomBudgetMw / 1000,
        podWatts: mw / 1000,
        enclosingHeadroomWatts: (budgets[enclosing] - st.scopeLoad[enclosing]) / 1000,
        enclosingBudgetWatts: budgets[enclosing] / 1000,
      });
      all.push({ node: n, gpus, score, mw, limit: runsCapped(pod, mw) ? pod.capLimitWatts : null });
    }
    return all.sort((a, b) => b.score - a.score || a.node - b.node);
  };
  const bestFor = (st: State, pod: ValidPod, lo: number, hi: number, excluded: (n: number) => boolean): Pick | null =>
    rankFor(st, pod, lo, hi, excluded)[0] ?? null;

  const attempt = (spread: Map<number, number> | null): ReferenceResult => {
    const notSpread = (n: number) => spread !== null && (spread.get(topo.nodeRack[n]) ?? 0) > 0;
    const excludedAnchors = new Set<number>();
    const anchorOf = (n: number): number => {
      if (v.topology === null) return topo.root;
      const path = topo.nodePath[n];
      for (let k = path.length - 1; k >= 0; k--) if (topo.scopeKind[path[k]] === v.topology) return path[k];
      return path[path.length - 1];
    };
    for (;;) {
      const st = stateFrom(topo, placements);
      const p0 = bestFor(st, v.pods[0], 0, topo.nodes.length, (n) => notSpread(n) || excludedAnchors.has(anchorOf(n)));
      if (p0 === null) return { placed: false };
      const anchor = anchorOf(p0.node);
      // Every assignment of the gang's pods to the anchor's nodes, in the policy's order per pod
      // (depth first): the first complete one wins.
      const lo = topo.scopeStart[anchor];
      const hi = topo.scopeEnd[anchor];
      const search = (i: number): Pick[] | null => {
        if (i === v.pods.length) return [];
        for (const p of rankFor(st, v.pods[i], lo, hi, notSpread)) {
          apply(st, v, v.pods[i], p, 1);
          const rest = search(i + 1);
          apply(st, v, v.pods[i], p, -1);
          if (rest !== null) return [p, ...rest];
        }
        return null;
      };
      const picks = search(0);
      if (picks !== null)
        return {
          placed: true,
          score: picks.reduce((a, p) => a + p.score, 0),
          pods: picks.map((p, i) => ({
            podId: v.pods[i].request.id,
            nodeId: topo.nodes[p.node].id,
            gpuIndices: [...p.gpus],
            gpuMilli: v.pods[i].demand.gpuMilli,
            powerLimitWatts: p.limit,
            predictedWatts: p.mw / 1000,
          })),
        };
      if (anchor === topo.root) return { placed: false };
      excludedAnchors.add(anchor);
    }
  };
  const apply = (st: State, rv: ValidReplica, pod: ValidPod, p: Pick, sign: 1 | -1) =>
    addPod(
      topo,
      st,
      p.node,
      p.gpus,
      pod.demand.gpuMilli,
      pod.demand.cpuMilli,
      pod.demand.memoryMiB,
      p.mw,
      rv.tenant,
      rv.deployment,
      sign,
    );

  const spread = v.spread && v.deployment !== null ? (base.deploymentRacks.get(v.deployment) ?? null) : null;
  if (spread !== null && spread.size > 0) {
    const r = attempt(spread);
    if (r.placed) return r;
  }
  return attempt(null);
}

/**
 * For a request that cannot be placed: the status of every node for its first pod, from the
 * filters run node by node on the reference's own recount (the tenant GPU quota refuses every
 * node; for a gang, a node every per-pod filter accepts is refused by the gang anchor filter).
 * What an explanation's counts must add up to.
 */
export function referenceNodeStatuses(
  cluster: ClusterInput,
  placements: readonly ExistingPlacement[],
  request: ReplicaRequest,
  policy: ScoringPolicy,
  ctx: PolicyContext = { workload: [] },
): FilterStatus[] {
  const { topo, v, budgets, base, quota, tenantRoom } = prepare(cluster, placements, request);
  const pod = v.pods[0];
  return topo.nodes.map((_, n) => {
    if (quota !== FITS) return quota;
    const view = nodeView(topo, budgets, base, n);
    const s = nodeStatus(
      pod,
      view.facts,
      () => policy.assignGpus(view.facts.resources, pod.demand, ctx),
      tenantRoom(base),
      view,
    );
    return s === FITS && v.pods.length > 1 ? gangAnchorFilter(false) : s;
  });
}

export interface ReferencePreemption {
  /** Sorted by id. */
  readonly victims: string[];
  readonly milli: number;
  /** Victims' priorities, highest first. */
  readonly priorities: number[];
  readonly pods: PodPlacement[];
}

/**
 * Brute-force preemption: every set of placed replicas with a priority strictly below the
 * request's, smallest sets first, each checked with referencePlace on the placements without
 * it; among the fitting sets of the smallest size, the cheapest by GPUs, then priorities
 * (highest first, element by element), then ids (sorted, element by element). No monotonicity
 * is assumed: when nothing fits, all 2^n sets are tried. Keep n small.
 */
export function referencePreemption(
  cluster: ClusterInput,
  placements: readonly ExistingPlacement[],
  request: ReplicaRequest,
  policy: ScoringPolicy,
  ctx: PolicyContext = { workload: [] },
): ReferencePreemption | null {
  const priority = request.priority ?? 0;
  const pool = placements.filter((p) => (p.replica.priority ?? 0) < priority);
  const milliOf = (p: ExistingPlacement) => p.replica.pods.reduce((a, x) => a + x.gpuCount * x.gpuMilli, 0);
  const cmpNum = (a: readonly number[], b: readonly number[]) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  };
  const cmpStr = (a: readonly string[], b: readonly string[]) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    return a.length - b.length;
  };
  for (let k = 0; k <= pool.length; k++) {
    const found: { best: ReferencePreemption | null } = { best: null };
    const visit = (start: number, chosen: ExistingPlacement[]): void => {
      if (chosen.length === k) {
        const gone = new Set(chosen.map((c) => c.replica.id));
        const r = referencePlace(
          cluster,
          placements.filter((p) => !gone.has(p.replica.id)),
          request,
          policy,
          ctx,
        );
        if (!r.placed) return;
        const cand: ReferencePreemption = {
          victims: chosen.map((c) => c.replica.id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
          milli: chosen.reduce((a, c) => a + milliOf(c), 0),
          priorities: chosen.map((c) => c.replica.priority ?? 0).sort((a, b) => b - a),
          pods: r.pods,
        };
        const b = found.best;
        const c =
          b === null
            ? -1
            : cand.milli - b.milli || cmpNum(cand.priorities, b.priorities) || cmpStr(cand.victims, b.victims);
        if (c < 0) found.best = cand;
        return;
      }
      for (let i = start; i <= pool.length - (k - chosen.length); i++) visit(i + 1, [...chosen, pool[i]]);
    };
    visit(0, []);
    if (found.best !== null) return found.best;
  }
  return null;
}
