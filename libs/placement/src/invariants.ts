import { indexState } from './core/introspection';
import { engineCore, type PlacementEngine } from './engine';
import { scopeBudget, toMilliwatts } from './topology';

/**
 * Recomputes every index of the engine from its placements alone and lists each
 * disagreement (empty = consistent). Tests call it after every operation.
 */
export function checkInvariants(engine: PlacementEngine): string[] {
  const problems: string[] = [];
  const core = engineCore(engine);
  const topo = core.topology;
  const st = indexState(core);
  const N = topo.nodes.length;
  const gpuUsed = topo.nodes.map((n) => n.gpus.map(() => 0));
  const cpu = topo.nodes.map(() => 0);
  const mem = topo.nodes.map(() => 0);
  const nodeMw = topo.nodes.map(() => 0);
  const scopeMw = topo.scopes.map(() => 0);
  const scopeMilli = topo.scopes.map(() => 0);
  const tenantMilli = new Map<string, number>();
  const tenantMw = new Map<string, number>();
  const racks = new Map<string, Map<number, number>>();
  for (const r of engine.placedReplicas.values()) {
    for (const p of r.pods) {
      for (const g of p.gpus) gpuUsed[p.node][g] += p.milli;
      cpu[p.node] += p.cpuMilli;
      mem[p.node] += p.memoryMiB;
      nodeMw[p.node] += p.milliwatts;
      for (const s of topo.nodePath[p.node]) {
        scopeMw[s] += p.milliwatts;
        scopeMilli[s] += p.gpus.length * p.milli;
      }
      const t = r.valid.tenant;
      if (t !== null) {
        tenantMilli.set(t, (tenantMilli.get(t) ?? 0) + p.gpus.length * p.milli);
        tenantMw.set(t, (tenantMw.get(t) ?? 0) + p.milliwatts);
      }
      const d = r.valid.deployment;
      if (d !== null) {
        const m = racks.get(d) ?? new Map<number, number>();
        m.set(topo.nodeRack[p.node], (m.get(topo.nodeRack[p.node]) ?? 0) + 1);
        racks.set(d, m);
      }
    }
  }
  for (let n = 0; n < N; n++) {
    const node = topo.nodes[n];
    node.gpus.forEach((_, g) => {
      if (st.nodeGpuFree[n][g] !== 1000 - gpuUsed[n][g])
        problems.push(`node ${node.id} GPU ${g}: free ${st.nodeGpuFree[n][g]} != ${1000 - gpuUsed[n][g]}`);
    });
    if (st.nodeCpuFree[n] !== node.cpuMilli - cpu[n])
      problems.push(`node ${node.id}: cpu free ${st.nodeCpuFree[n]} != ${node.cpuMilli - cpu[n]}`);
    if (st.nodeMemFree[n] !== node.memoryMiB - mem[n])
      problems.push(`node ${node.id}: memory free ${st.nodeMemFree[n]} != ${node.memoryMiB - mem[n]}`);
    if (st.nodeLoadMw[n] !== nodeMw[n]) problems.push(`node ${node.id}: load ${st.nodeLoadMw[n]} != ${nodeMw[n]}`);
    if (st.nodeBudgetMw[n] !== toMilliwatts(node.maxWatts)) problems.push(`node ${node.id}: budget`);
    const key = st.nodeUp[n] ? core.st.classKeyOf(n) : null;
    if (st.nodeClassKey[n] !== key) problems.push(`node ${node.id}: class ${st.nodeClassKey[n]} != ${key}`);
  }
  topo.scopes.forEach((s, i) => {
    if (st.scopeLoadMw[i] !== scopeMw[i]) problems.push(`scope ${s.id}: load ${st.scopeLoadMw[i]} != ${scopeMw[i]}`);
    if (st.scopeFreeMilli[i] !== topo.scopeGpus[i] * 1000 - scopeMilli[i]) problems.push(`scope ${s.id}: free milli`);
  });
  const cur = engine.currentCluster().scopes;
  cur.forEach((s, i) => {
    if (st.scopeBudgetMw[i] !== toMilliwatts(scopeBudget(s)))
      problems.push(`scope ${s.id}: budget ${st.scopeBudgetMw[i]} != ${toMilliwatts(scopeBudget(s))}`);
  });
  const nonZero = (m: ReadonlyMap<unknown, number>) => [...m].filter(([, v]) => v !== 0);
  const sameMap = (a: ReadonlyMap<unknown, number>, b: ReadonlyMap<unknown, number>) =>
    nonZero(a).length === nonZero(b).length && nonZero(a).every(([k, v]) => (b.get(k) ?? 0) === v);
  if (!sameMap(st.tenantUsedMilli, tenantMilli)) problems.push('tenant GPU usage');
  if (!sameMap(st.tenantUsedMw, tenantMw)) problems.push('tenant watt usage');
  if (
    st.deploymentRacks.size !== racks.size ||
    [...racks].some(([d, m]) => !sameMap(st.deploymentRacks.get(d) ?? new Map(), m))
  )
    problems.push('deployment racks');
  // Classes: members sorted, each member's key is the class key, every up node in exactly one class.
  const seen = new Set<number>();
  const keys = new Set<string>();
  for (const c of st.classes) {
    if (keys.has(c.key)) problems.push(`class ${c.key} twice`);
    keys.add(c.key);
    if (c.members.length === 0) problems.push(`class ${c.key} empty`);
    c.members.forEach((n, i) => {
      if (i > 0 && c.members[i - 1] >= n) problems.push(`class ${c.key}: members not sorted`);
      if (seen.has(n)) problems.push(`node ${n} in two classes`);
      seen.add(n);
      if (core.st.classKeyOf(n) !== c.key)
        problems.push(`node ${n} in class ${c.key} but has key ${core.st.classKeyOf(n)}`);
    });
    const rep = c.members[0];
    if (rep !== undefined && JSON.stringify(core.st.nodeResources(rep)) !== JSON.stringify(c.resources))
      problems.push(`class ${c.key}: resources differ from members`);
  }
  for (let n = 0; n < N; n++)
    if (st.nodeUp[n] && !seen.has(n)) problems.push(`node ${topo.nodes[n].id} up but in no class`);
  return problems;
}

/**
 * Independent recount of every hard constraint from the placements alone: GPU shares,
 * GPU count, products and memory, CPU and memory, power at the node and every scope,
 * tenant quotas and gang topology. Returns the number of violations (0 is the only
 * acceptable answer after placements; budget cuts can make power over budget, which the
 * caller must act on).
 */
export function countViolations(engine: PlacementEngine): { total: number; details: string[] } {
  const details: string[] = [];
  const core = engineCore(engine);
  const topo = core.topology;
  const cluster = engine.currentCluster();
  const gpuUsed = topo.nodes.map((n) => n.gpus.map(() => 0));
  const cpu = topo.nodes.map(() => 0);
  const mem = topo.nodes.map(() => 0);
  const nodeMw = topo.nodes.map(() => 0);
  const scopeMw = topo.scopes.map(() => 0);
  const tenantMilli = new Map<string, number>();
  const tenantMw = new Map<string, number>();
  for (const snap of engine.snapshot()) {
    const anchors = new Set<string>();
    for (const pp of snap.pods) {
      const n = topo.nodeIndex.get(pp.nodeId)!;
      const node = topo.nodes[n];
      const req = snap.replica.pods.find((p) => p.id === pp.podId)!;
      const wantGpus = req.gpuMilli === 0 ? 0 : req.gpuCount;
      if (pp.gpuIndices.length !== wantGpus || new Set(pp.gpuIndices).size !== wantGpus)
        details.push(`pod ${pp.podId}: ${pp.gpuIndices.length} GPUs for ${wantGpus}`);
      if (wantGpus > 0) {
        const allowed = req.allowedProducts ?? [];
        if (node.gpuProduct === null || (allowed.length > 0 && !allowed.includes(node.gpuProduct)))
          details.push(`pod ${pp.podId}: product`);
      }
      for (const g of pp.gpuIndices) {
        gpuUsed[n][g] += req.gpuMilli;
        if ((node.gpus[g]?.memoryMiB ?? -1) < (req.minGpuMemoryMiB ?? 0)) details.push(`pod ${pp.podId}: GPU memory`);
        if (
          pp.powerLimitWatts !== null &&
          (pp.powerLimitWatts < node.gpus[g].minLimitWatts || pp.powerLimitWatts > node.gpus[g].maxLimitWatts)
        )
          details.push(`pod ${pp.podId}: power limit outside GPU range`);
      }
      cpu[n] += req.cpuMilli;
      mem[n] += req.memoryMiB;
      const mw = toMilliwatts(pp.predictedWatts);
      nodeMw[n] += mw;
      for (const s of topo.nodePath[n]) scopeMw[s] += mw;
      const t = snap.replica.tenant ?? null;
      if (t !== null) {
        tenantMilli.set(t, (tenantMilli.get(t) ?? 0) + pp.gpuIndices.length * req.gpuMilli);
        tenantMw.set(t, (tenantMw.get(t) ?? 0) + mw);
      }
      if (snap.replica.topology) anchors.add(String(core.st.ancestorOfKind(n, snap.replica.topology)));
    }
    if (anchors.size > 1) details.push(`gang ${snap.replica.id}: spans ${anchors.size} ${snap.replica.topology}s`);
  }
  topo.nodes.forEach((node, n) => {
    gpuUsed[n].forEach((u, g) => {
      if (u > 1000) details.push(`node ${node.id} GPU ${g}: ${u} milli`);
    });
    if (cpu[n] > node.cpuMilli) details.push(`node ${node.id}: cpu`);
    if (mem[n] > node.memoryMiB) details.push(`node ${node.id}: memory`);
    if (nodeMw[n] > toMilliwatts(node.maxWatts))
      details.push(`node ${node.id}: power ${nodeMw[n] / 1000} W > ${node.maxWatts} W`);
  });
  cluster.scopes.forEach((s, i) => {
    if (scopeMw[i] > toMilliwatts(scopeBudget(s)))
      details.push(`${s.kind} ${s.id}: power ${scopeMw[i] / 1000} W > ${scopeBudget(s)} W`);
  });
  for (const t of cluster.tenants ?? []) {
    if (t.gpuQuota != null && (tenantMilli.get(t.id) ?? 0) > Math.round(t.gpuQuota * 1000))
      details.push(`tenant ${t.id}: GPU quota`);
    if (t.wattQuota != null && (tenantMw.get(t.id) ?? 0) > toMilliwatts(t.wattQuota))
      details.push(`tenant ${t.id}: watt quota`);
  }
  return { total: details.length, details };
}
