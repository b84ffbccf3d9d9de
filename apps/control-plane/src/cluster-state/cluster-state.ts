import { effectiveBudget } from '@switchyard/inventory';
import {
  PlacementEngine,
  PlacementInputError,
  planPreemption,
  scopeBudget,
  type ClusterInput,
  type ExistingPlacement,
  type OverBudgetScope,
  type PlaceResult,
  type PreemptionPlan,
  type ReplicaRequest,
  type ScopeInput,
  type TenantInput,
} from '@switchyard/placement';
import type { PodRequestCatalog } from '../scheduling/pod-request';
import type { ClusterInventory, SchedulingLogger } from '../scheduling/scheduling-ports';
import { BudgetSchedule, type ScheduledOverride } from './budget-schedule';

/** The inventory as loaded from PostgreSQL: nominal scope budgets (no override applied) and the overrides not yet ended. */
export interface LoadedInventory extends ClusterInventory {
  readonly overrides: readonly ScheduledOverride[];
}

/** Why the state changed, for whoever waits on room (the scheduler retries its waiting pods). */
export type ClusterChange = 'inventory' | 'budget' | 'node' | 'tenant';

export interface ClusterStateOptions {
  readonly logger: SchedulingLogger;
  /** Milliseconds since the epoch; injected so tests can step through override windows. */
  readonly now?: () => number;
}

/** Longest single timer Node.js arms (about 24.8 days); a later boundary re-arms on expiry. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The one owner of the in-memory cluster state: the placement engine (what is placed where,
 * and every budget in force), the inventory facts the engine does not hold (GPU UUIDs, the
 * product catalog, tenant names) and the schedule of budget overrides. Every change goes
 * through here, synchronously and so in one order: scheduling commits and releases, node
 * conditions, inventory reloads, scope edits, override starts, ends and cancellations, and
 * tenant quotas. An override's start and end are applied by a timer at their own time.
 *
 * The engine exists only while this replica leads (`activate` .. `deactivate`); inventory and
 * schedule are kept on followers too, so a new leader builds from a current picture.
 */
export class ClusterState {
  private engine: PlacementEngine | null = null;
  private inventory: ClusterInventory | null = null;
  private catalogValue: PodRequestCatalog = { products: new Map(), maxGpusPerNode: 0 };
  /** Capacity and oversubscription of every scope, as PATCHed; overrides are applied on top. */
  private readonly nominal = new Map<string, ScopeInput>();
  private tenants = new Map<string, TenantInput>();
  private readonly schedule = new BudgetSchedule();
  /** The override the engine was last given per scope (absent = none), so a boundary re-prices only scopes that move. */
  private readonly applied = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(change: ClusterChange) => void>();
  private readonly now: () => number;
  private builds = 0;
  /** Who reloads the inventory from PostgreSQL (the runtime's inventory refresh); none without Kubernetes. */
  private loader: (() => Promise<void>) | null = null;
  /** Whether each node was last seen ready and schedulable, so only a node coming up is announced. */
  private readonly nodeUp = new Map<string, boolean>();
  private closed = false;

  constructor(private readonly options: ClusterStateOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  // ------------------------------------------------------------------ inventory and leadership

  /**
   * A fresh load of the inventory (at start, on activation, after a structural change such as
   * a topology import or a node written from its Node object). When the engine exists it is
   * rebuilt around what is placed on nodes that still exist: the one full rebuild, reserved
   * for changes the engine cannot take incrementally (nodes added, removed or re-racked).
   */
  loadInventory(loaded: LoadedInventory): void {
    this.inventory = loaded;
    let maxGpus = 0;
    for (const n of loaded.cluster.nodes) maxGpus = Math.max(maxGpus, n.gpus.length);
    this.catalogValue = { products: loaded.products, maxGpusPerNode: maxGpus };
    this.nominal.clear();
    for (const s of loaded.cluster.scopes) this.nominal.set(s.id, { ...s, overrideWatts: null });
    this.tenants = new Map((loaded.cluster.tenants ?? []).map((t) => [t.id, t]));
    this.schedule.replaceAll(loaded.overrides);
    this.armTimer();
    this.applied.clear();
    if (this.engine) {
      const nodeIds = new Set(loaded.cluster.nodes.map((n) => n.id));
      const placements = this.engine.snapshot().filter((p) => p.pods.every((pod) => nodeIds.has(pod.nodeId)));
      this.engine = this.build(placements);
    }
    this.emit('inventory');
  }

  /** The runtime's full load, for changes the state cannot take incrementally (a topology import). */
  useLoader(loader: () => Promise<void>): void {
    this.loader = loader;
  }

  /** A full load through the registered loader (nothing to do without one: nothing is placed then). */
  async reload(): Promise<void> {
    await this.loader?.();
  }

  /** Become the owner of placements: an empty engine on the current inventory (the caller adopts what the database holds). */
  activate(): void {
    if (!this.inventory) throw new Error('inventory not loaded');
    this.engine = this.build([]);
    this.nodeUp.clear();
  }

  /** Leadership lost: the placements go (the next leader rebuilds them from PostgreSQL); inventory and schedule stay. */
  deactivate(): void {
    this.engine = null;
  }

  get active(): boolean {
    return this.engine !== null;
  }

  /** Stop the override timer (shutdown). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private build(placements: readonly ExistingPlacement[]): PlacementEngine {
    this.builds += 1;
    return new PlacementEngine(this.clusterInput(), { placements });
  }

  /** The engine's input now: nominal scopes with the override in force applied, as the engine's one budget rule expects. */
  private clusterInput(): ClusterInput {
    const base = (this.inventory as ClusterInventory).cluster;
    const at = new Date(this.now());
    return {
      scopes: [...this.nominal.values()].map((s) => ({
        ...s,
        overrideWatts: this.remember(s.id, this.overrideFor(s, at)),
      })),
      nodes: base.nodes,
      tenants: [...this.tenants.values()],
    };
  }

  /** Budget in force replacing capacity x oversubscription, or null: the lowest override, never above nominal. */
  private overrideFor(scope: ScopeInput, at: Date): number | null {
    const watts = this.schedule.inForce(scope.id, at);
    return watts === null ? null : effectiveBudget(scope.capacityWatts, scope.oversubscription ?? 1, watts);
  }

  // ------------------------------------------------------------------ what the scheduler reads

  get catalog(): PodRequestCatalog {
    return this.catalogValue;
  }

  /** GPU UUIDs of a node by index (empty for an unknown node). */
  gpuUuids(nodeName: string): readonly string[] {
    return this.inventory?.gpuUuids.get(nodeName) ?? [];
  }

  /** A tenant without a record has no quota: the engine only knows tenants that have one. */
  knowsTenant(tenant: string): boolean {
    return this.tenants.has(tenant);
  }

  // ------------------------------------------------------------------ placements (leader)

  place(request: ReplicaRequest): PlaceResult {
    return this.leading().place(request);
  }

  /** The cheapest set of lower-priority replicas whose eviction lets `request` fit, or null. */
  planPreemption(request: ReplicaRequest): PreemptionPlan | null {
    return planPreemption(this.leading(), request);
  }

  /** Records a placement decided earlier (from the database or a bound pod); resources must fit, power may be over budget. */
  adopt(existing: ExistingPlacement): void {
    this.leading().adopt(existing);
  }

  /** Removes a placed replica; whoever releases announces it (the scheduler retries its own waiting pods). */
  release(replicaId: string): void {
    this.leading().release(replicaId);
  }

  replicaOfPod(podId: string): string | undefined {
    return this.engine?.replicaOfPod(podId);
  }

  /**
   * Readiness or cordon of a node. Returns false when the engine does not know the node (not
   * in the inventory yet, or not leading). Listeners hear only of a node that can take pods
   * again: conditions are repeated for every node after each load, and a repeat changes nothing.
   */
  setNodeCondition(nodeName: string, condition: { ready: boolean; schedulable: boolean }): boolean {
    if (!this.engine) return false;
    try {
      this.engine.setNodeCondition(nodeName, condition);
    } catch (error) {
      if (!(error instanceof PlacementInputError)) throw error;
      return false;
    }
    const up = condition.ready && condition.schedulable;
    const wasUp = this.nodeUp.get(nodeName);
    this.nodeUp.set(nodeName, up);
    if (up && wasUp !== true) this.emit('node');
    return true;
  }

  // ------------------------------------------------------------------ budgets and tenants

  /** A scope's capacity or oversubscription changed (PATCH): the next decision sees the new budget. */
  scopeChanged(scopeId: string, change: { capacityWatts?: number; oversubscription?: number }): void {
    const cur = this.nominal.get(scopeId);
    if (!cur) return; // not in the loaded inventory: the next load brings it
    this.nominal.set(scopeId, { ...cur, ...change, overrideWatts: null });
    this.applyBudget(scopeId);
  }

  /** An override was created (or learned from the database): in force now or armed for its start. */
  overrideSaved(override: ScheduledOverride): void {
    if (override.endsAt.getTime() <= this.now()) return;
    this.schedule.add(override);
    this.applyBudget(override.scopeId);
    this.armTimer();
  }

  overrideCancelled(id: string): void {
    const scopeId = this.schedule.remove(id);
    if (scopeId === undefined) return;
    this.applyBudget(scopeId);
    this.armTimer();
  }

  /** Overrides held now (in force or scheduled), for reconciliation with the database. */
  heldOverrides(): ScheduledOverride[] {
    return [...this.schedule.all()];
  }

  /** Nominal capacity and oversubscription of every scope, for reconciliation with the database. */
  nominalScopes(): IterableIterator<ScopeInput> {
    return this.nominal.values();
  }

  tenantSaved(tenant: TenantInput): void {
    this.tenants.set(tenant.id, tenant);
    this.engine?.setTenant(tenant);
    this.emit('tenant');
  }

  /** A tenant deleted (or renamed). The engine keeps one that still has placed replicas (their pods name it) until they go. */
  tenantRemoved(id: string): void {
    if (!this.tenants.delete(id)) return;
    try {
      this.engine?.removeTenant(id);
    } catch (error) {
      if (!(error instanceof PlacementInputError)) throw error;
      this.options.logger.warn({ tenant: id, err: error.message }, 'tenant removed while it has placed replicas');
    }
    this.emit('tenant');
  }

  heldTenants(): IterableIterator<TenantInput> {
    return this.tenants.values();
  }

  private applyBudget(scopeId: string): void {
    const scope = this.nominal.get(scopeId);
    if (!scope || !this.engine) return;
    this.engine.applyBudgetChange({
      scopeId,
      capacityWatts: scope.capacityWatts,
      oversubscription: scope.oversubscription ?? 1,
      overrideWatts: this.remember(scopeId, this.overrideFor(scope, new Date(this.now()))),
    });
    this.emit('budget');
  }

  private remember(scopeId: string, overrideWatts: number | null): number | null {
    if (overrideWatts === null) this.applied.delete(scopeId);
    else this.applied.set(scopeId, overrideWatts);
    return overrideWatts;
  }

  /** One timer for the next start or end of any override; at it, the scopes whose budget moves are re-priced. */
  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.closed) return;
    const next = this.schedule.nextBoundary(new Date(this.now()));
    if (next === null) return;
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, next.getTime() - this.now()));
    this.timer = setTimeout(() => this.boundaryReached(), ms);
    this.timer.unref();
  }

  /** Applies every boundary that has passed (timers can fire late) and re-arms. */
  boundaryReached(): void {
    this.timer = null;
    const at = new Date(this.now());
    const touched = new Set<string>(this.schedule.prune(at));
    for (const scopeId of this.schedule.scopes()) touched.add(scopeId);
    for (const scopeId of touched) this.applyBudgetIfMoved(scopeId, at);
    this.armTimer();
  }

  private applyBudgetIfMoved(scopeId: string, at: Date): void {
    const scope = this.nominal.get(scopeId);
    if (!scope || !this.engine) return;
    if ((this.applied.get(scopeId) ?? null) === this.overrideFor(scope, at)) return;
    this.applyBudget(scopeId);
  }

  // ------------------------------------------------------------------ views

  /** Every scope and node whose predicted load exceeds its budget now (empty when not leading). */
  overBudget(): OverBudgetScope[] {
    return this.engine?.overBudget() ?? [];
  }

  /** How tight the tightest budget above a node is, 0..1 (for scale-down choices). */
  budgetPressure(nodeName: string): number {
    const engine = this.engine;
    if (!engine) return 0;
    try {
      const view = engine.powerView(engine.nodeNumber(nodeName), 0);
      return view.budgetWatts > 0 ? 1 - view.headroomWatts / view.budgetWatts : 0;
    } catch {
      return 0;
    }
  }

  /** The budget in force on a scope as the engine holds it, in watts (undefined when not leading or unknown). */
  budgetWatts(scopeId: string): number | undefined {
    const scope = this.nominal.get(scopeId);
    if (!scope || !this.engine) return undefined;
    return scopeBudget({ ...scope, overrideWatts: this.applied.get(scopeId) ?? null });
  }

  /** An independent copy to plan on (what-if); the real state is never touched through it. */
  fork(): PlacementEngine {
    return this.leading().fork();
  }

  stats(): { active: boolean; nodes: number; engineBuilds: number } {
    return { active: this.engine !== null, nodes: this.engine?.nodeCount ?? 0, engineBuilds: this.builds };
  }

  onChange(listener: (change: ClusterChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: ClusterChange): void {
    for (const l of this.listeners) l(change);
  }

  private leading(): PlacementEngine {
    if (!this.engine) throw new Error('cluster state is not active (not the leader)');
    return this.engine;
  }
}
