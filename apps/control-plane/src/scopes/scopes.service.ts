import { Inject, Injectable } from '@nestjs/common';
import { Inventory, type ScopeChanges, type ScopeRecord } from '@switchyard/inventory';
import { ClusterState } from '../cluster-state/cluster-state';
import { CLUSTER_STATE } from '../cluster-state/cluster-state.token';

/** Scope budget edits: written to PostgreSQL (audited), then applied to the cluster state at once. */
@Injectable()
export class ScopesService {
  constructor(
    @Inject(Inventory) private readonly inventory: Inventory,
    @Inject(CLUSTER_STATE) private readonly state: ClusterState | null,
  ) {}

  async update(id: string, changes: ScopeChanges, actor: string): Promise<ScopeRecord> {
    const scope = await this.inventory.scopes.update(id, changes, { actor });
    this.state?.scopeChanged(id, { capacityWatts: scope.capacityWatts, oversubscription: scope.oversubscriptionRatio });
    return scope;
  }
}
