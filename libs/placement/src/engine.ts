import { adoptPlacement } from './core/adoption';
import type { PlacedReplica } from './core/cluster-state';
import { EngineCore, type ScoringChoice } from './core/engine-core';
import { PlacementInputError } from './errors';
import type {
  BudgetChange,
  ClusterInput,
  ExistingPlacement,
  OverBudgetScope,
  PlaceResult,
  ReplicaRequest,
  ScopeInput,
  TenantInput,
} from './model';
import type { PowerView } from './policies/policy';
import { DEFAULT_POLICY, policyByName } from './policies/registry';
import { validateScope } from './topology';

export type { PlacedPod, PlacedReplica } from './core/cluster-state';
export type { ScoringChoice } from './core/engine-core';
export type { Scoring } from './core/search';
export { MAX_GANG_SEARCH_STEPS } from './core/gang-search';

export interface PlacementEngineOptions extends ScoringChoice {
  readonly placements?: readonly ExistingPlacement[];
}

const cores = new WeakMap<PlacementEngine, EngineCore>();

/**
 * The engine's internals, for preemption, what-if, invariant checks and tests inside this
 * library (not exported from the package).
 */
export function engineCore(engine: PlacementEngine): EngineCore {
  return cores.get(engine)!;
}

/**
 * The placement engine: the cluster's free state and an exact (no sampling) best-node search
 * over it. Data in, decisions out. The parts (see README.md): core/cluster-state.ts (state
 * arrays), core/node-classes.ts (nodes grouped by free state), filters/ (one per concern,
 * each returning a status), core/search.ts, core/gang-search.ts, core/adoption.ts, explain.ts.
 * Every operation validates before it changes anything.
 */
export class PlacementEngine {
  private readonly core: EngineCore;

  constructor(cluster: ClusterInput, options: PlacementEngineOptions = {}) {
    this.core = new EngineCore(cluster, options, {
      policy: policyByName(DEFAULT_POLICY),
      ctx: { workload: [] },
      explain: true,
    });
    cores.set(this, this.core);
    for (const [i, p] of (options.placements ?? []).entries()) adoptPlacement(this.core, p, `placements[${i}]`);
  }

  /** Places one replica (a pod or a gang, all-or-nothing), or explains why it cannot. */
  place(request: ReplicaRequest, choice: ScoringChoice = {}): PlaceResult {
    const c = this.core;
    const v = c.validateNew(request);
    return c.placeValid(v, c.scoringFor(choice));
  }

  /** Removes a placed replica (every pod of a gang); throws 'unknown-replica' if not placed. */
  release(replicaId: string): void {
    if (!this.core.st.replicas.has(replicaId))
      throw new PlacementInputError('unknown-replica', 'replicaId', `no placed replica "${String(replicaId)}"`);
    this.core.st.forget(replicaId);
  }

  /** Releases the replica a pod belongs to (a gang goes as a whole); throws 'unknown-replica' for an unknown pod. */
  releasePod(podId: string): string {
    const replicaId = this.core.st.podOwners.get(podId);
    if (replicaId === undefined)
      throw new PlacementInputError('unknown-replica', 'podId', `no placed pod "${String(podId)}"`);
    this.release(replicaId);
    return replicaId;
  }

  /** The replica that owns a pod, or undefined. */
  replicaOfPod(podId: string): string | undefined {
    return this.core.st.podOwners.get(podId);
  }

  /** Records a placement decided elsewhere (e.g. loaded from the database). Resources must fit; power may be over budget (it is reported, not refused). */
  adopt(existing: ExistingPlacement): void {
    adoptPlacement(this.core, existing, 'placement');
  }

  /** Changes a scope's capacity, oversubscription or override; returns every scope and node now over budget. */
  applyBudgetChange(change: BudgetChange): OverBudgetScope[] {
    const st = this.core.st;
    const s = st.topology.scopeIndex.get(change?.scopeId);
    if (s === undefined)
      throw new PlacementInputError('unknown-scope', 'scopeId', `unknown scope "${String(change?.scopeId)}"`);
    const next: ScopeInput = {
      ...st.scopeInputs[s],
      ...(change.capacityWatts !== undefined ? { capacityWatts: change.capacityWatts } : {}),
      ...(change.oversubscription !== undefined ? { oversubscription: change.oversubscription } : {}),
      ...(change.overrideWatts !== undefined ? { overrideWatts: change.overrideWatts } : {}),
    };
    validateScope(next, 'change');
    st.setScope(s, next);
    return st.overBudget();
  }

  /** Marks a node ready/schedulable or not; pods on it stay (eviction is the caller's decision). */
  setNodeCondition(nodeId: string, condition: { ready?: boolean; schedulable?: boolean }): void {
    const n = this.nodeNumber(nodeId);
    for (const k of ['ready', 'schedulable'] as const)
      if (condition?.[k] !== undefined && typeof condition[k] !== 'boolean')
        throw new PlacementInputError('invalid-value', k, 'must be a boolean');
    const st = this.core.st;
    st.setCondition(n, condition.ready ?? st.nodeReady(n), condition.schedulable ?? st.nodeSchedulable(n));
  }

  /**
   * Creates a tenant or changes its quotas (null or absent = unlimited). What its placed
   * replicas use is kept: a tenant left over a lowered quota keeps them and is only refused
   * new placements.
   */
  setTenant(tenant: TenantInput): void {
    this.core.st.tenants.set(tenant);
  }

  /** Removes a tenant, so requests naming it are refused; throws while it still has placed replicas. */
  removeTenant(tenantId: string): void {
    const st = this.core.st;
    const placed = [...st.replicas.values()].filter((r) => r.valid.tenant === tenantId).length;
    if (placed > 0)
      throw new PlacementInputError(
        'invalid-value',
        'tenantId',
        `tenant "${tenantId}" still has ${placed} placed replicas; release them first`,
      );
    st.tenants.remove(tenantId);
  }

  /** Every scope (and node) whose placed predicted power exceeds its budget, worst first. */
  overBudget(): OverBudgetScope[] {
    return this.core.st.overBudget();
  }

  /** Every placed replica, in a form the constructor (or a reference computation) accepts. */
  snapshot(): ExistingPlacement[] {
    const st = this.core.st;
    return [...st.replicas.values()].map((r) => ({
      replica: r.valid.request,
      pods: r.pods.map((p) => st.toPodPlacement(p)),
    }));
  }

  /** The cluster input as it stands now (budget changes, node conditions and tenant changes applied). */
  currentCluster(): ClusterInput {
    const st = this.core.st;
    return {
      scopes: [...st.scopeInputs],
      nodes: st.topology.nodes.map((n, i) => ({ ...n, ready: st.nodeReady(i), schedulable: st.nodeSchedulable(i) })),
      tenants: st.tenants.open ? undefined : st.tenants.list(),
    };
  }

  /** An independent copy to try things on; the real state is never touched through it. */
  fork(): PlacementEngine {
    const d = this.core.defaultScoring;
    const copy = new PlacementEngine(this.currentCluster(), {
      placements: this.snapshot(),
      policy: d.policy,
      context: d.ctx,
      explain: d.explain,
    });
    // Without a tenant list, quotas set with setTenant are not part of the cluster input.
    if (this.core.st.tenants.open) for (const t of this.core.st.tenants.list()) copy.setTenant(t);
    return copy;
  }

  get placedReplicas(): ReadonlyMap<string, PlacedReplica> {
    return this.core.st.replicas;
  }

  get nodeCount(): number {
    return this.core.st.topology.nodes.length;
  }

  get gpuCount(): number {
    const topo = this.core.st.topology;
    return topo.scopeGpus[topo.root];
  }

  /** Allocated GPU share over the whole cluster, in milli. */
  get allocatedMilli(): number {
    const st = this.core.st;
    const root = st.topology.root;
    return st.topology.scopeGpus[root] * 1000 - st.scopeFreeMilli[root];
  }

  nodeNumber(nodeId: string): number {
    const n = this.core.st.topology.nodeIndex.get(nodeId);
    if (n === undefined) throw new PlacementInputError('unknown-node', 'nodeId', `unknown node "${String(nodeId)}"`);
    return n;
  }

  /** The power a policy would see on node n for a pod adding podMilliwatts. */
  powerView(n: number, podMilliwatts: number): PowerView {
    return this.core.search.powerView(n, podMilliwatts);
  }
}
