import type { Inventory } from '@switchyard/inventory';
import type { TenantInput } from '@switchyard/placement';
import type { SchedulingLogger } from '../scheduling/scheduling-ports';
import type { ScheduledOverride } from './budget-schedule';
import type { ClusterState } from './cluster-state';
import { allTenants, scheduledOverride, tenantInput } from './inventory-loader';

/** Audit actions by the family of records they change; a family whose count moved is re-read. */
const FAMILIES = {
  structure: ['topology.import', 'node.create', 'node.update', 'node.delete'],
  scopes: ['scope.update'],
  overrides: ['budgetOverride.create', 'budgetOverride.cancel'],
  tenants: ['tenant.create', 'tenant.update', 'tenant.delete'],
} as const;
type Family = keyof typeof FAMILIES;
const ACTIONS = Object.values(FAMILIES).flat();

/**
 * Keeps the cluster state equal to PostgreSQL when another replica (or an operator with the
 * CLI) wrote it: writes made through this process reach the state at once through its
 * services, this catches the rest. Each pass asks one cheap question (how many audit events
 * each family of records has) and re-reads only the families that moved: scope budgets,
 * overrides and tenants are diffed and applied one by one; only a structural change (nodes or
 * a topology import) asks for a full reload. No whole-inventory read, hash or rebuild on a
 * quiet pass.
 */
export class InventoryReconciler {
  private seen: Map<string, number> | null = null;

  constructor(
    private readonly inventory: Inventory,
    private readonly state: ClusterState,
    private readonly reload: () => Promise<void>,
    private readonly logger: SchedulingLogger,
    /** Tenant names to database ids, whenever tenants are re-read (the allocation ledger references them). */
    private readonly onTenantIds: (ids: ReadonlyMap<string, string>) => void = () => undefined,
  ) {}

  /** Call right before a full load: changes counted here are in it. */
  async mark(): Promise<void> {
    this.seen = await this.inventory.audit.countsByAction(ACTIONS);
  }

  /** One pass; returns the families it re-read. */
  async reconcile(): Promise<Family[]> {
    const counts = await this.inventory.audit.countsByAction(ACTIONS);
    const previous = this.seen;
    if (previous === null) {
      this.seen = counts;
      return [];
    }
    const moved = (Object.keys(FAMILIES) as Family[]).filter((f) =>
      FAMILIES[f].some((a) => (counts.get(a) ?? 0) !== (previous.get(a) ?? 0)),
    );
    if (moved.length === 0) return [];
    if (moved.includes('structure')) {
      await this.reload(); // marks the counts itself
      return moved;
    }
    this.seen = counts;
    if (moved.includes('scopes')) await this.scopes();
    if (moved.includes('overrides')) await this.overrides();
    if (moved.includes('tenants')) await this.tenants();
    this.logger.debug?.({ families: moved }, 'cluster state reconciled with the database');
    return moved;
  }

  private async scopes(): Promise<void> {
    const held = new Map([...this.state.nominalScopes()].map((s) => [s.id, s]));
    for (const row of await this.inventory.scopes.budgets()) {
      const cur = held.get(row.id);
      if (!cur) continue; // a new scope comes with a topology import (a structural change)
      if (cur.capacityWatts !== row.capacityWatts || (cur.oversubscription ?? 1) !== row.oversubscription)
        this.state.scopeChanged(row.id, { capacityWatts: row.capacityWatts, oversubscription: row.oversubscription });
    }
  }

  private async overrides(): Promise<void> {
    const live = new Map<string, ScheduledOverride>(
      (await this.inventory.budgetOverrides.live(new Date())).map((o) => [o.id, scheduledOverride(o)]),
    );
    for (const o of this.state.heldOverrides()) if (!live.has(o.id)) this.state.overrideCancelled(o.id);
    const held = new Set(this.state.heldOverrides().map((o) => o.id));
    for (const o of live.values()) if (!held.has(o.id)) this.state.overrideSaved(o);
  }

  private async tenants(): Promise<void> {
    const records = await allTenants(this.inventory);
    this.onTenantIds(new Map(records.map((t) => [t.name, t.id])));
    const rows = records.map(tenantInput);
    const now = new Map<string, TenantInput>(rows.map((t) => [t.id, t]));
    for (const t of [...this.state.heldTenants()]) if (!now.has(t.id)) this.state.tenantRemoved(t.id);
    const held = new Map([...this.state.heldTenants()].map((t) => [t.id, t]));
    for (const t of now.values()) {
      const cur = held.get(t.id);
      if (!cur || cur.gpuQuota !== t.gpuQuota || cur.wattQuota !== t.wattQuota) this.state.tenantSaved(t);
    }
  }
}
