import { Inject, Injectable } from '@nestjs/common';
import type { TopologyDocument } from '@switchyard/contracts';
import { Inventory, type TopologyImportSummary } from '@switchyard/inventory';
import { ClusterState } from '../cluster-state/cluster-state';
import { CLUSTER_STATE } from '../cluster-state/cluster-state.token';

/**
 * Topology import: one transaction in PostgreSQL (audited), then a full load of the cluster
 * state, the one change it does not take incrementally (scopes and nodes may come and go).
 */
@Injectable()
export class TopologyService {
  constructor(
    @Inject(Inventory) private readonly inventory: Inventory,
    @Inject(CLUSTER_STATE) private readonly state: ClusterState | null,
  ) {}

  async import(document: TopologyDocument, options: { prune: boolean }, actor: string): Promise<TopologyImportSummary> {
    const summary = await this.inventory.topology.import(document, { actor }, options);
    await this.state?.reload();
    return summary;
  }
}
