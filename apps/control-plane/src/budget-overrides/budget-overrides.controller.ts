import { Controller, Inject } from '@nestjs/common';
import {
  type BudgetOverrideRecord,
  type BudgetOverrideState,
  Inventory,
  overrideState,
  type Page,
} from '@switchyard/inventory';
import { type Actor, CurrentActor, auditActor } from '../auth/actor';
import { Created, Endpoint, Input } from '../http/endpoint';
import { type RouteInput } from '../http/route-spec';
import { budgetOverrideRoutes as routes } from './budget-overrides.routes';
import { BudgetOverridesService } from './budget-overrides.service';

type BudgetOverrideView = BudgetOverrideRecord & { state: BudgetOverrideState };

function withState(override: BudgetOverrideRecord, now: Date): BudgetOverrideView {
  return { ...override, state: overrideState(override, now) };
}

@Controller()
export class BudgetOverridesController {
  constructor(
    @Inject(Inventory) private readonly inventory: Inventory,
    @Inject(BudgetOverridesService) private readonly overrides: BudgetOverridesService,
  ) {}

  @Endpoint(routes.list)
  async list(@Input() { query }: RouteInput<typeof routes.list>): Promise<Page<BudgetOverrideView>> {
    const now = new Date();
    const page = await this.inventory.budgetOverrides.list({ ...query, now });
    return { items: page.items.map((o) => withState(o, now)), nextCursor: page.nextCursor };
  }

  @Endpoint(routes.get)
  async get(@Input() { params }: RouteInput<typeof routes.get>): Promise<BudgetOverrideView> {
    return withState(await this.inventory.budgetOverrides.get(params.id), new Date());
  }

  @Endpoint(routes.create)
  async create(
    @Input() { body }: RouteInput<typeof routes.create>,
    @CurrentActor() actor: Actor,
  ): Promise<Created<BudgetOverrideView>> {
    const override = await this.overrides.create(
      { ...body, startsAt: new Date(body.startsAt), endsAt: new Date(body.endsAt) },
      auditActor(actor),
    );
    return new Created(`${routes.list.path}/${override.id}`, withState(override, new Date()));
  }

  @Endpoint(routes.cancel)
  async cancel(@Input() { params }: RouteInput<typeof routes.cancel>, @CurrentActor() actor: Actor): Promise<void> {
    await this.overrides.cancel(params.id, auditActor(actor));
  }
}
