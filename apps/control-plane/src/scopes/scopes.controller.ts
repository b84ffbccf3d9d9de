import { Controller, Header, Inject } from '@nestjs/common';
import { Inventory, type ScopeSummary } from '@switchyard/inventory';
import { type Actor, CurrentActor, auditActor } from '../auth/actor';
import { CoalescedRead, MutationClock } from '../http/coalesced-read';
import { Endpoint, Input } from '../http/endpoint';
import { type RouteInput } from '../http/route-spec';
import { scopeRoutes as routes } from './scopes.routes';
import { ScopesService } from './scopes.service';

@Controller()
export class ScopesController {
  /**
   * The campus tree is the most expensive read (4,000 scopes, 1.6 MB of JSON): dashboards polling
   * it at once share one query and one serialisation.
   */
  private readonly sharedTree: CoalescedRead<string>;

  constructor(
    @Inject(Inventory) private readonly inventory: Inventory,
    @Inject(MutationClock) clock: MutationClock,
    @Inject(ScopesService) private readonly scopes: ScopesService,
  ) {
    this.sharedTree = new CoalescedRead(async () => JSON.stringify({ items: await inventory.scopes.tree() }), clock);
  }

  /** `{ items: ScopeTreeNode[] }`, already serialised. */
  @Endpoint(routes.tree)
  @Header('Content-Type', 'application/json; charset=utf-8')
  tree(): Promise<string> {
    return this.sharedTree.get();
  }

  @Endpoint(routes.get)
  get(@Input() { params }: RouteInput<typeof routes.get>): Promise<ScopeSummary & { children: ScopeSummary[] }> {
    return this.inventory.scopes.get(params.id);
  }

  /** Answers with the scope as GET does, so the new effective budget is visible at once. */
  @Endpoint(routes.update)
  async update(
    @Input() { params, body }: RouteInput<typeof routes.update>,
    @CurrentActor() actor: Actor,
  ): Promise<ScopeSummary & { children: ScopeSummary[] }> {
    await this.scopes.update(params.id, body, auditActor(actor));
    return this.inventory.scopes.get(params.id);
  }
}
