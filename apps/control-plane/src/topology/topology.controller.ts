import { Controller, Inject } from '@nestjs/common';
import { type TopologyImportSummary } from '@switchyard/inventory';
import { type Actor, CurrentActor, auditActor } from '../auth/actor';
import { Endpoint, Input } from '../http/endpoint';
import { type RouteInput } from '../http/route-spec';
import { topologyRoutes as routes } from './topology.routes';
import { TopologyService } from './topology.service';

@Controller()
export class TopologyController {
  constructor(@Inject(TopologyService) private readonly topology: TopologyService) {}

  @Endpoint(routes.import)
  import(
    @Input() { query, body }: RouteInput<typeof routes.import>,
    @CurrentActor() actor: Actor,
  ): Promise<TopologyImportSummary> {
    return this.topology.import(body, { prune: query.prune ?? false }, auditActor(actor));
  }
}
