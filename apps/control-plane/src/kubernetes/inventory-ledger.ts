import {
  ConflictError,
  MAX_LIMIT,
  priorityClassName,
  toPriorityClass,
  type Inventory,
  type TenantRecord,
} from '@switchyard/inventory';
import type { ClusterInput, NodeInput, ScopeInput, TenantInput } from '@switchyard/placement';
import type {
  AllocationLedger,
  AllocationRecord,
  ClusterInventory,
  CommitOutcome,
} from '../scheduling/scheduling-ports';
import type { GpuProductInfo } from '../scheduling/pod-request';

/**
 * The allocation ledger over libs/inventory: a scheduling cycle's allocations go to the
 * database in one batched call (one statement for all its pods and GPU shares), bound marks
 * and releases in one statement each. Each gang (or pod) stays all or nothing, and the
 * database's constraints refuse a double allocation or a share over 1000 milli for the gang at
 * fault only: the repository splits a refused batch until it finds it.
 */
export class InventoryAllocationLedger implements AllocationLedger {
  private tenantIds = new Map<string, string>();
  private deploymentIds = new Map<string, string>();

  constructor(private readonly inventory: Inventory) {}

  /** Names to database ids for the allocations' tenant and deployment references. */
  setReferences(refs: { tenants?: ReadonlyMap<string, string>; deployments?: ReadonlyMap<string, string> }): void {
    if (refs.tenants) this.tenantIds = new Map(refs.tenants);
    if (refs.deployments) this.deploymentIds = new Map(refs.deployments);
  }

  rememberDeployment(key: string, id: string): void {
    this.deploymentIds.set(key, id);
  }

  async commit(records: readonly AllocationRecord[], groups: readonly (readonly number[])[]): Promise<CommitOutcome[]> {
    const results = await this.inventory.allocations.createGangs(
      groups.map((group) =>
        group.map((i) => {
          const r = records[i];
          return {
            podUid: r.podUid,
            podNamespace: r.podNamespace,
            podName: r.podName,
            nodeName: r.nodeName,
            gpus: r.gpus.map((g) => ({ index: g.index, shareMilli: g.milli })),
            predictedWatts: r.predictedWatts,
            powerLimitWatts: r.powerLimitWatts,
            priority: toPriorityClass(r.priority),
            tenantId: r.tenant ? (this.tenantIds.get(r.tenant) ?? null) : null,
            deploymentId: r.deployment ? (this.deploymentIds.get(r.deployment) ?? null) : null,
          };
        }),
      ),
    );
    const outcomes = new Map<string, CommitOutcome>();
    groups.forEach((group, g) => {
      const result = results[g];
      const alreadyAllocated =
        !result.committed && result.error instanceof ConflictError && result.error.reason === 'pod-already-allocated';
      for (const i of group) {
        const podUid = records[i].podUid;
        outcomes.set(
          podUid,
          result.committed
            ? { podUid, committed: true }
            : { podUid, committed: false, reason: result.error.message, alreadyAllocated },
        );
      }
    });
    return records.map(
      (r) => outcomes.get(r.podUid) ?? { podUid: r.podUid, committed: false, reason: 'not attempted' },
    );
  }

  /** Pods released meanwhile have no row to mark: skipped. */
  async markBound(podUids: readonly string[]): Promise<void> {
    await this.inventory.allocations.markBoundMany(podUids);
  }

  async release(podUids: readonly string[]): Promise<void> {
    await this.inventory.allocations.releaseMany(podUids);
  }

  async list(): Promise<AllocationRecord[]> {
    const rows = await this.inventory.allocations.all();
    const tenantNames = new Map([...this.tenantIds].map(([name, id]) => [id, name]));
    const deploymentKeys = new Map([...this.deploymentIds].map(([key, id]) => [id, key]));
    return rows.map((r) => ({
      podUid: r.podUid,
      podNamespace: r.podNamespace,
      podName: r.podName,
      nodeName: r.nodeName,
      gpus: r.gpus.map((g) => ({ index: g.index, uuid: g.uuid, milli: g.shareMilli })),
      predictedWatts: r.predictedWatts,
      powerLimitWatts: r.powerLimitWatts,
      priority: priorityClassName(r.priority),
      tenant: r.tenantId ? (tenantNames.get(r.tenantId) ?? null) : null,
      deployment: r.deploymentId ? (deploymentKeys.get(r.deploymentId) ?? null) : null,
      state: r.state,
    }));
  }
}

/**
 * The engine's picture of the cluster from PostgreSQL: scopes with the budget in force now
 * (overrides applied), nodes with GPUs (engine node id = Kubernetes node name), tenants with
 * quotas, plus GPU UUIDs and the product catalog.
 */
export async function loadClusterInventory(
  inventory: Inventory,
  now: Date = new Date(),
): Promise<ClusterInventory & { tenantIds: Map<string, string> }> {
  const [summaries, snapshot, products, tenantItems] = await Promise.all([
    inventory.scopes.summaries(now),
    inventory.nodes.snapshot(),
    inventory.gpuProducts.list(),
    allTenants(inventory),
  ]);
  const scopes: ScopeInput[] = summaries.map((s) => ({
    id: s.id,
    kind: s.kind,
    parentId: s.parentId,
    capacityWatts: s.capacityWatts,
    oversubscription: s.oversubscriptionRatio,
    overrideWatts: s.activeOverride ? s.effectiveBudgetWatts : null,
  }));
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
  const tenants: TenantInput[] = tenantItems.map((t) => ({
    id: t.name,
    gpuQuota: t.gpuQuota,
    wattQuota: t.wattsQuota,
  }));
  const cluster: ClusterInput = { scopes, nodes, tenants };
  const productMap = new Map<string, GpuProductInfo>(
    products.map((p) => [p.name, { memoryMiB: p.memoryMiB, tdpWatts: p.tdpWatts }]),
  );
  return {
    cluster,
    gpuUuids: new Map(snapshot.nodes.map((n) => [n.name, n.gpus.map((g) => g.uuid)])),
    products: productMap,
    tenantIds: new Map(tenantItems.map((t) => [t.name, t.id])),
  };
}

async function allTenants(inventory: Inventory): Promise<TenantRecord[]> {
  const out: TenantRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await inventory.tenants.list({ limit: MAX_LIMIT, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}
