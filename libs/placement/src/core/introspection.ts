import type { NodeResources } from '../policies/policy';
import type { EngineCore } from './engine-core';

/** The engine's indexes as they stand, for checkInvariants() to recompute and compare. */
export interface IndexState {
  readonly scopeLoadMw: Float64Array;
  readonly scopeBudgetMw: Float64Array;
  readonly scopeFreeMilli: Float64Array;
  readonly nodeLoadMw: Float64Array;
  readonly nodeBudgetMw: Float64Array;
  readonly nodeCpuFree: Float64Array;
  readonly nodeMemFree: Float64Array;
  readonly nodeGpuFree: readonly Int32Array[];
  readonly nodeUp: Uint8Array;
  readonly classes: { key: string; members: readonly number[]; resources: NodeResources }[];
  readonly nodeClassKey: (string | null)[];
  readonly tenantUsedMilli: ReadonlyMap<string, number>;
  readonly tenantUsedMw: ReadonlyMap<string, number>;
  readonly deploymentRacks: ReadonlyMap<string, ReadonlyMap<number, number>>;
}

export function indexState(core: EngineCore): IndexState {
  const st = core.st;
  return {
    scopeLoadMw: st.scopeLoad,
    scopeBudgetMw: st.scopeBudget,
    scopeFreeMilli: st.scopeFreeMilli,
    nodeLoadMw: st.nodeLoad,
    nodeBudgetMw: st.nodeBudget,
    nodeCpuFree: st.nodeCpuFree,
    nodeMemFree: st.nodeMemFree,
    nodeGpuFree: st.nodeGpuFree,
    nodeUp: st.nodeUp,
    classes: st.classes.list.map((c) => ({ key: c.key, members: c.members, resources: c.resources })),
    nodeClassKey: st.classes.nodeClass.map((c) => (c === null ? null : c.key)),
    tenantUsedMilli: st.tenants.usedMilli,
    tenantUsedMw: st.tenants.usedMw,
    deploymentRacks: st.deploymentRacks,
  };
}

/** Disagreements between each class's power order and one rebuilt from scratch. */
export function powerOrderProblems(core: EngineCore): string[] {
  const classes = core.st.classes;
  const out: string[] = [];
  for (const cls of classes.list) {
    const want = [...cls.members]
      .map((n) => ({ n, key: classes.powerKeyOf(n) }))
      .sort((a, b) => a.key - b.key || a.n - b.n)
      .map((x) => x.n);
    const got = Array.from(cls.byPower.nodes.subarray(0, cls.byPower.size));
    if (want.join(',') !== got.join(',')) out.push(`class ${cls.key}: power order [${got}] should be [${want}]`);
    for (const n of got)
      if (classes.nodePowerKey[n] !== classes.powerKeyOf(n))
        out.push(`node ${n}: stale power key ${classes.nodePowerKey[n]}`);
  }
  return out;
}

/** Number of distinct node states (classes) right now; a measure of how well the cache shares work. */
export function nodeClassCount(core: EngineCore): number {
  return core.st.classes.list.length;
}
