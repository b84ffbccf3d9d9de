import { Controller, Header, Inject } from '@nestjs/common';
import { type ApiTokenRecord, Inventory } from '@switchyard/inventory';
import { type Actor, CurrentActor, auditActor } from '../auth/actor';
import { Created, Endpoint, Input } from '../http/endpoint';
import { type RouteInput } from '../http/route-spec';
import { tokenRoutes as routes } from './tokens.routes';

@Controller()
export class TokensController {
  constructor(@Inject(Inventory) private readonly inventory: Inventory) {}

  @Endpoint(routes.list)
  async list(@Input() { query }: RouteInput<typeof routes.list>): Promise<{ items: ApiTokenRecord[] }> {
    return { items: await this.inventory.tokens.list({ includeRevoked: query.includeRevoked !== 'false' }) };
  }

  @Endpoint(routes.create)
  // The answer holds a secret: no cache may keep it.
  @Header('Cache-Control', 'no-store')
  async create(
    @Input() { body }: RouteInput<typeof routes.create>,
    @CurrentActor() actor: Actor,
  ): Promise<Created<ApiTokenRecord & { token: string }>> {
    const created = await this.inventory.tokens.create(body, { actor: auditActor(actor) });
    return new Created(`${routes.list.path}/${created.record.id}`, { ...created.record, token: created.token });
  }

  @Endpoint(routes.revoke)
  async revoke(@Input() { params }: RouteInput<typeof routes.revoke>, @CurrentActor() actor: Actor): Promise<void> {
    await this.inventory.tokens.revoke(params.id, { actor: auditActor(actor) });
  }
}
