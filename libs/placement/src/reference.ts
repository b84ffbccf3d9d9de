import type { ClusterInput, ExistingPlacement, PodPlacement, ReplicaRequest } from './model';
import type { NodeResources, PolicyContext, ScoringPolicy } from './policies/policy';
import { validateReplica, type ValidPod, type ValidReplica } from './request';
import { buildTopology, scopeBudget, toMilliwatts, type Topology } from './topology';

/**
 * The brute-force reference: rebuilds the free state from the placements, then scores
 * every node that passes every filter, with no index and no cache. Same rules as the
 * engine (highest score, lowest node number on ties; spreading first, then without; a gang
 * anchored by its first pod's best node, one scope of its topology at a time). Tests check
 * the engine's decisions equal this one's; it is far too slow for anything else.
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
): void {
  for (const g of gpus) st.gpuFree[n][g] -= milli;
  st.cpu[n] -= cpu;
  st.mem[n] -= mem;
  st.nodeLoad[n] += mw;
  for (const s of topo.nodePath[n]) st.scopeLoad[s] += mw;
  if (tenant !== null) {
    st.tenantMilli.set(tenant, (st.tenantMilli.get(tenant) ?? 0) + gpus.length * milli);
    st.tenantMw.set(tenant, (st.tenantMw.get(tenant) ?? 0) + mw);
  }
  if (deployment !== null) {
    const m = st.deploymentRacks.get(deployment) ?? new Map<number, number>();
    m.set(topo.nodeRack[n], (m.get(topo.nodeRack[n]) ?? 0) + 1);
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

export function referencePlace(
  cluster: ClusterInput,
  placements: readonly ExistingPlacement[],
  request: ReplicaRequest,
  policy: ScoringPolicy,
  ctx: PolicyContext = { workload: [] },
): ReferenceResult {
  const topo = buildTopology(cluster);
  const tenants = cluster.tenants ? new Set(cluster.tenants.map((t) => t.id)) : null;
  const v = validateReplica(request, topo, tenants);
  const budgets = topo.scopes.map((s) => toMilliwatts(scopeBudget(s)));
  const tenantInput = cluster.tenants?.find((t) => t.id === v.tenant);
  const base = stateFrom(topo, placements);
  if (
    tenantInput?.gpuQuota != null &&
    (base.tenantMilli.get(v.tenant!) ?? 0) + v.totalMilli > Math.round(tenantInput.gpuQuota * 1000)
  )
    return { placed: false };

  const bestFor = (st: State, pod: ValidPod, lo: number, hi: number, excluded: (n: number) => boolean): Pick | null => {
    let best: Pick | null = null;
    const tenantRoom =
      tenantInput?.wattQuota == null
        ? Infinity
        : toMilliwatts(tenantInput.wattQuota) - (st.tenantMw.get(v.tenant!) ?? 0);
    for (let n = lo; n < hi; n++) {
      const node = topo.nodes[n];
      if (node.ready === false || node.schedulable === false || excluded(n)) continue;
      const d = pod.demand;
      if (pod.totalMilli > 0) {
        if (node.gpuProduct === null || (pod.products !== null && !pod.products.has(node.gpuProduct))) continue;
        if (Math.min(...node.gpus.map((g) => g.memoryMiB)) < pod.minGpuMemoryMiB) continue;
      }
      if (st.cpu[n] < d.cpuMilli || st.mem[n] < d.memoryMiB) continue;
      if (st.gpuFree[n].filter((f) => f >= d.gpuMilli).length < d.gpuCount) continue;
      const res: NodeResources = {
        gpuProduct: node.gpuProduct ?? '',
        gpuFreeMilli: [...st.gpuFree[n]],
        cpuFreeMilli: st.cpu[n],
        memoryFreeMiB: st.mem[n],
        cpuCapacityMilli: node.cpuMilli,
        memoryCapacityMiB: node.memoryMiB,
      };
      const gpus = policy.assignGpus(res, d, ctx);
      if (gpus === null) continue;
      let room = toMilliwatts(node.maxWatts) - st.nodeLoad[n];
      let roomBudget = toMilliwatts(node.maxWatts);
      for (const s of topo.nodePath[n]) {
        if (budgets[s] - st.scopeLoad[s] < room) {
          room = budgets[s] - st.scopeLoad[s];
          roomBudget = budgets[s];
        }
      }
      const viewRoom = room;
      room = Math.min(room, tenantRoom);
      let mw = toMilliwatts(pod.watts);
      let limit: number | null = null;
      if (mw > room || !pod.uncapped) {
        const capOk =
          pod.cappedWatts !== null &&
          node.gpus.every((g) => pod.capLimitWatts! >= g.minLimitWatts && pod.capLimitWatts! <= g.maxLimitWatts) &&
          toMilliwatts(pod.cappedWatts) <= room;
        if (!capOk) continue;
        mw = toMilliwatts(pod.cappedWatts!);
        limit = pod.capLimitWatts;
      }
      const path = topo.nodePath[n];
      const enclosing = path[path.length - 1];
      const score = policy.score(res, d, gpus, ctx, {
        headroomWatts: viewRoom / 1000,
        budgetWatts: roomBudget / 1000,
        podWatts: mw / 1000,
        enclosingHeadroomWatts: (budgets[enclosing] - st.scopeLoad[enclosing]) / 1000,
        enclosingBudgetWatts: budgets[enclosing] / 1000,
      });
      if (best === null || score > best.score) best = { node: n, gpus, score, mw, limit };
    }
    return best;
  };

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
      const picks: Pick[] = [p0];
      apply(st, v, v.pods[0], p0);
      for (let i = 1; i < v.pods.length; i++) {
        const p = bestFor(st, v.pods[i], topo.scopeStart[anchor], topo.scopeEnd[anchor], notSpread);
        if (p === null) break;
        picks.push(p);
        apply(st, v, v.pods[i], p);
      }
      if (picks.length === v.pods.length)
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
  const apply = (st: State, rv: ValidReplica, pod: ValidPod, p: Pick) =>
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
    );

  const spread = v.spread && v.deployment !== null ? (base.deploymentRacks.get(v.deployment) ?? null) : null;
  if (spread !== null && spread.size > 0) {
    const r = attempt(spread);
    if (r.placed) return r;
  }
  return attempt(null);
}
