import { ConflictError, priorityClassName, toPriorityClass, type Inventory } from '@switchyard/inventory';
import type { AllocationLedger, AllocationRecord, CommitOutcome } from './scheduling-ports';

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
