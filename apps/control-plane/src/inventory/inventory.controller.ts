import { Controller, Inject } from '@nestjs/common';
import { type GpuRecord, Inventory, type NodeRecord, type Page } from '@switchyard/inventory';
import { Endpoint, Input } from '../http/endpoint';
import { type RouteInput } from '../http/route-spec';
import { inventoryRoutes as routes } from './inventory.routes';

@Controller()
export class InventoryController {
  constructor(@Inject(Inventory) private readonly inventory: Inventory) {}

  @Endpoint(routes.listNodes)
  listNodes(@Input() { query }: RouteInput<typeof routes.listNodes>): Promise<Page<NodeRecord>> {
    return this.inventory.nodes.list(query);
  }

  @Endpoint(routes.getNode)
  getNode(@Input() { params }: RouteInput<typeof routes.getNode>): Promise<NodeRecord> {
    return this.inventory.nodes.get(params.name);
  }

  @Endpoint(routes.listGpus)
  listGpus(@Input() { query }: RouteInput<typeof routes.listGpus>): Promise<Page<GpuRecord>> {
    const { node, ...rest } = query;
    return this.inventory.nodes.listGpus({ ...rest, nodeName: node });
  }

  @Endpoint(routes.listGpuProducts)
  async listGpuProducts(): Promise<{ items: unknown[] }> {
    return { items: await this.inventory.gpuProducts.list() };
  }
}
