import { Inject, Injectable } from '@nestjs/common';
import { Inventory, type TenantInput as TenantFields, type TenantRecord } from '@switchyard/inventory';
import { ClusterState } from '../cluster-state/cluster-state';
import { CLUSTER_STATE } from '../cluster-state/cluster-state.token';
import { tenantInput } from '../cluster-state/inventory-loader';

/** Tenants and their quotas: written to PostgreSQL (audited), then applied to the cluster state at once. */
@Injectable()
export class TenantsService {
  constructor(
    @Inject(Inventory) private readonly inventory: Inventory,
    @Inject(CLUSTER_STATE) private readonly state: ClusterState | null,
  ) {}

  async create(fields: TenantFields, actor: string): Promise<TenantRecord> {
    const tenant = await this.inventory.tenants.create(fields, { actor });
    this.state?.tenantSaved(tenantInput(tenant));
    return tenant;
  }

  async update(id: string, changes: Partial<TenantFields>, actor: string): Promise<TenantRecord> {
    const before = changes.name === undefined ? null : await this.inventory.tenants.get(id);
    const tenant = await this.inventory.tenants.update(id, changes, { actor });
    if (before && before.name !== tenant.name) this.state?.tenantRemoved(before.name);
    this.state?.tenantSaved(tenantInput(tenant));
    return tenant;
  }

  async delete(id: string, actor: string): Promise<void> {
    const tenant = await this.inventory.tenants.get(id);
    await this.inventory.tenants.delete(id, { actor });
    this.state?.tenantRemoved(tenant.name);
  }
}
