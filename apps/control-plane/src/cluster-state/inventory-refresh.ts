import type { Inventory } from '@switchyard/inventory';
import type { NodeObject, ResourceInformer } from '@switchyard/kube';
import type { ClusterState } from './cluster-state';
import { loadClusterInventory } from './inventory-loader';
import { InventoryReconciler } from './inventory-reconciler';
import type { SchedulingLogger } from '../scheduling/scheduling-ports';
import type { InventoryAllocationLedger } from '../scheduling/inventory-ledger';
import type { NodeHealth } from '../nodes/node-health';
import type { NodeInventorySync } from '../nodes/node-inventory-sync';

export interface InventoryRefreshDeps {
  readonly inventory: Inventory;
  readonly state: ClusterState;
  readonly ledger: InventoryAllocationLedger;
  readonly nodeSync: NodeInventorySync;
  readonly nodes: ResourceInformer<NodeObject>;
  readonly nodeHealth: NodeHealth;
  readonly logger: SchedulingLogger;
  readonly leading: () => boolean;
  /** How often the leader reconciles the cluster state with PostgreSQL (writes by other replicas). */
  readonly reconcileMs: number;
}

/**
 * Keeps the cluster state's inventory current. A full load runs at start, on activation and
 * after a structural change (a node written from its Node object, a topology import seen in
 * the audit log); between them the leader reconciles cheaply (see InventoryReconciler), so
 * nothing re-reads 15,000 nodes on a timer. Loads and reconciliations run one at a time.
 */
export class InventoryRefresh {
  private readonly reconciler: InventoryReconciler;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Why the last load failed, until one succeeds (for /readyz). */
  private failure: string | null = null;

  constructor(private readonly deps: InventoryRefreshDeps) {
    this.reconciler = new InventoryReconciler(
      deps.inventory,
      deps.state,
      () => this.load(),
      deps.logger,
      (ids) => deps.ledger.setReferences({ tenants: ids }),
    );
  }

  /** A full load, after whatever is running. */
  reload(): Promise<void> {
    return this.serial(() => this.load());
  }

  /** One full load shortly after a burst of inventory writes (one for the burst). */
  reloadSoon(): void {
    if (this.soon || this.stopped) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.reload().catch(() => undefined);
    }, 200);
    this.soon.unref();
  }

  /** Leader only: reconcile every `reconcileMs` until `stopReconciling`. */
  startReconciling(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(
      () => void this.serial(() => this.reconcile()).catch(() => undefined),
      this.deps.reconcileMs,
    );
    this.timer.unref();
  }

  stopReconciling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** No load or reconciliation is armed after this. */
  stop(): void {
    this.stopped = true;
    this.stopReconciling();
    if (this.soon) clearTimeout(this.soon);
    this.soon = null;
  }

  /** null when the inventory loaded; else why it did not. */
  get problem(): string | null {
    return this.failure;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.catch(() => undefined).then(work);
    this.queue = next;
    return next;
  }

  private async load(): Promise<void> {
    const { deps } = this;
    try {
      await this.reconciler.mark();
      const [loaded] = await Promise.all([loadClusterInventory(deps.inventory), deps.nodeSync.reload()]);
      deps.ledger.setReferences({ tenants: loaded.tenantIds });
      deps.state.loadInventory(loaded);
      this.failure = null;
    } catch (error) {
      this.failure = `the inventory cannot be loaded: ${String((error as Error)?.message ?? error)}`;
      deps.logger.warn({ err: this.failure }, 'inventory load failed');
      throw error;
    }
    // The leader writes Node objects that disagree with the inventory, and removes deleted ones no allocation holds.
    const leading = deps.leading();
    if (deps.nodes.hasSynced) for (const node of deps.nodes.list()) deps.nodeSync.nodeSeen(node, leading);
    deps.nodeHealth.reapplyAll();
    if (leading) deps.nodeSync.retryRemovals();
  }

  private async reconcile(): Promise<void> {
    try {
      await this.reconciler.reconcile();
      if (this.deps.leading()) this.deps.nodeSync.retryRemovals();
    } catch (error) {
      this.deps.logger.warn({ err: String((error as Error)?.message ?? error) }, 'inventory reconciliation failed');
    }
  }
}
