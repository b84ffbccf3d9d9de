import { Inject, Injectable } from '@nestjs/common';
import { type BudgetOverrideInput, type BudgetOverrideRecord, Inventory } from '@switchyard/inventory';
import { ClusterState } from '../cluster-state/cluster-state';
import { CLUSTER_STATE } from '../cluster-state/cluster-state.token';
import { scheduledOverride } from '../cluster-state/inventory-loader';

/**
 * Budget overrides: written to PostgreSQL (audited), then applied to the cluster state at
 * once, so the next placement decision sees the override (and its start and end arrive on
 * their own timer, not at the next poll).
 */
@Injectable()
export class BudgetOverridesService {
  constructor(
    @Inject(Inventory) private readonly inventory: Inventory,
    @Inject(CLUSTER_STATE) private readonly state: ClusterState | null,
  ) {}

  async create(input: BudgetOverrideInput, actor: string): Promise<BudgetOverrideRecord> {
    const override = await this.inventory.budgetOverrides.create(input, { actor });
    this.state?.overrideSaved(scheduledOverride(override));
    return override;
  }

  async cancel(id: string, actor: string): Promise<BudgetOverrideRecord> {
    const override = await this.inventory.budgetOverrides.cancel(id, { actor });
    this.state?.overrideCancelled(id);
    return override;
  }
}
