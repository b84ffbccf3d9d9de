import { type BudgetOverrideRecord, MAX_LIMIT, type Inventory, type TenantRecord } from '@switchyard/inventory';
import type { ClusterInput, NodeInput, ScopeInput, TenantInput } from '@switchyard/placement';
import type { GpuProductInfo } from '../scheduling/pod-request';
import type { ScheduledOverride } from './budget-schedule';
import type { LoadedInventory } from './cluster-state';

/**
 * The engine's picture of the cluster from PostgreSQL: scopes with their nominal budgets,
 * the overrides not yet ended (the cluster state applies each at its own time), nodes with
 * GPUs (engine node id = Kubernetes node name), tenants with quotas, plus GPU UUIDs and the
 * product catalog.
 */
export async function loadClusterInventory(
  inventory: Inventory,
  now: Date = new Date(),
): Promise<LoadedInventory & { tenantIds: Map<string, string> }> {
  const [budgets, overrides, snapshot, products, tenantItems] = await Promise.all([
    inventory.scopes.budgets(),
    inventory.budgetOverrides.live(now),
    inventory.nodes.snapshot(),
    inventory.gpuProducts.list(),
    allTenants(inventory),
  ]);
  const scopes: ScopeInput[] = budgets.map((s) => ({ ...s, overrideWatts: null }));
  const nodes: NodeInput[] = snapshot.nodes.map((n) => ({
    id: n.name,
    scopeId: n.rackId,
    cpuMilli: n.cpuMilli,
    memoryMiB: n.memoryMiB,
    idleWatts: n.idleWatts,
    maxWatts: n.maxWatts,
    ready: n.health !== 'unhealthy',
    schedulable: n.schedulable,
    gpuProduct: n.gpus[0]?.product ?? null,
    gpus: n.gpus.map((g) => ({
      memoryMiB: g.memoryMiB,
      tdpWatts: g.tdpWatts,
      minLimitWatts: g.minPowerLimitWatts,
      maxLimitWatts: g.maxPowerLimitWatts,
    })),
  }));
  const cluster: ClusterInput = { scopes, nodes, tenants: tenantItems.map(tenantInput) };
  const productMap = new Map<string, GpuProductInfo>(
    products.map((p) => [p.name, { memoryMiB: p.memoryMiB, tdpWatts: p.tdpWatts }]),
  );
  return {
    cluster,
    overrides: overrides.map(scheduledOverride),
    gpuUuids: new Map(snapshot.nodes.map((n) => [n.name, n.gpus.map((g) => g.uuid)])),
    products: productMap,
    tenantIds: new Map(tenantItems.map((t) => [t.name, t.id])),
  };
}

/** A tenant record as the engine holds it (engine tenant id = tenant name, as pods name it). */
export function tenantInput(t: Pick<TenantRecord, 'name' | 'gpuQuota' | 'wattsQuota'>): TenantInput {
  return { id: t.name, gpuQuota: t.gpuQuota, wattQuota: t.wattsQuota };
}

export function scheduledOverride(o: BudgetOverrideRecord): ScheduledOverride {
  return { id: o.id, scopeId: o.scopeId, watts: o.watts, startsAt: o.startsAt, endsAt: o.endsAt };
}

export async function allTenants(inventory: Inventory): Promise<TenantRecord[]> {
  const out: TenantRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await inventory.tenants.list({ limit: MAX_LIMIT, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}
