import { Controller, Inject } from '@nestjs/common';
import { Inventory, type ModelProfileRecord, type Page } from '@switchyard/inventory';
import { type Actor, CurrentActor, auditActor } from '../auth/actor';
import { Created, Endpoint, Input } from '../http/endpoint';
import { type RouteInput } from '../http/route-spec';
import { modelProfileRoutes as routes } from './model-profiles.routes';

@Controller()
export class ModelProfilesController {
  constructor(@Inject(Inventory) private readonly inventory: Inventory) {}

  @Endpoint(routes.list)
  list(@Input() { query }: RouteInput<typeof routes.list>): Promise<Page<ModelProfileRecord>> {
    return this.inventory.modelProfiles.list(query);
  }

  @Endpoint(routes.get)
  get(@Input() { params }: RouteInput<typeof routes.get>): Promise<ModelProfileRecord> {
    return this.inventory.modelProfiles.get(params.id);
  }

  @Endpoint(routes.create)
  async create(
    @Input() { body }: RouteInput<typeof routes.create>,
    @CurrentActor() actor: Actor,
  ): Promise<Created<ModelProfileRecord>> {
    const profile = await this.inventory.modelProfiles.create(body, { actor: auditActor(actor) });
    return new Created(`${routes.list.path}/${profile.id}`, profile);
  }

  @Endpoint(routes.update)
  update(
    @Input() { params, body }: RouteInput<typeof routes.update>,
    @CurrentActor() actor: Actor,
  ): Promise<ModelProfileRecord> {
    return this.inventory.modelProfiles.update(params.id, body, { actor: auditActor(actor) });
  }

  @Endpoint(routes.delete)
  async delete(@Input() { params }: RouteInput<typeof routes.delete>, @CurrentActor() actor: Actor): Promise<void> {
    await this.inventory.modelProfiles.delete(params.id, { actor: auditActor(actor) });
  }
}
