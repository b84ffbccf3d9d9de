import { Controller, Inject } from '@nestjs/common';
import { Inventory, type Page, type TenantRecord, type TenantUsage } from '@switchyard/inventory';
import { type Actor, CurrentActor, auditActor } from '../auth/actor';
import { Created, Endpoint, Input } from '../http/endpoint';
import { type RouteInput } from '../http/route-spec';
import { tenantRoutes as routes } from './tenants.routes';
import { TenantsService } from './tenants.service';

@Controller()
export class TenantsController {
  constructor(
    @Inject(Inventory) private readonly inventory: Inventory,
    @Inject(TenantsService) private readonly tenants: TenantsService,
  ) {}

  @Endpoint(routes.list)
  list(@Input() { query }: RouteInput<typeof routes.list>): Promise<Page<TenantRecord>> {
    return this.inventory.tenants.list(query);
  }

  @Endpoint(routes.get)
  async get(@Input() { params }: RouteInput<typeof routes.get>): Promise<TenantRecord & { usage: TenantUsage }> {
    const tenant = await this.inventory.tenants.get(params.id);
    return { ...tenant, usage: await this.inventory.tenants.usage(params.id) };
  }

  @Endpoint(routes.create)
  async create(
    @Input() { body }: RouteInput<typeof routes.create>,
    @CurrentActor() actor: Actor,
  ): Promise<Created<TenantRecord>> {
    const tenant = await this.tenants.create(body, auditActor(actor));
    return new Created(`${routes.list.path}/${tenant.id}`, tenant);
  }

  @Endpoint(routes.update)
  update(
    @Input() { params, body }: RouteInput<typeof routes.update>,
    @CurrentActor() actor: Actor,
  ): Promise<TenantRecord> {
    return this.tenants.update(params.id, body, auditActor(actor));
  }

  @Endpoint(routes.delete)
  async delete(@Input() { params }: RouteInput<typeof routes.delete>, @CurrentActor() actor: Actor): Promise<void> {
    await this.tenants.delete(params.id, auditActor(actor));
  }
}
