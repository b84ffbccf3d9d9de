import { Controller, Inject } from '@nestjs/common';
import { Inventory, type TopologyImportSummary } from '@switchyard/inventory';
import { type Actor, CurrentActor, auditActor } from '../auth/actor';
import { Endpoint, Input } from '../http/endpoint';
import { type RouteInput } from '../http/route-spec';
import { topologyRoutes as routes } from './topology.routes';

@Controller()
export class TopologyController {
  constructor(@Inject(Inventory) private readonly inventory: Inventory) {}

  @Endpoint(routes.import)
  import(
    @Input() { query, body }: RouteInput<typeof routes.import>,
    @CurrentActor() actor: Actor,
  ): Promise<TopologyImportSummary> {
    return this.inventory.topology.import(body, { actor: auditActor(actor) }, { prune: query.prune ?? false });
  }
}
