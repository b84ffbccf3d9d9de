import { Controller, Inject } from '@nestjs/common';
import { type AuditEventRecord, Inventory, type Page } from '@switchyard/inventory';
import { Endpoint, Input } from '../http/endpoint';
import { type RouteInput } from '../http/route-spec';
import { auditRoutes as routes } from './audit.routes';

@Controller()
export class AuditController {
  constructor(@Inject(Inventory) private readonly inventory: Inventory) {}

  @Endpoint(routes.list)
  list(@Input() { query }: RouteInput<typeof routes.list>): Promise<Page<AuditEventRecord>> {
    return this.inventory.audit.list({
      ...query,
      since: query.since === undefined ? undefined : new Date(query.since),
      until: query.until === undefined ? undefined : new Date(query.until),
    });
  }
}
