/**
 * Nodes and their GPUs: filtered, keyset-paginated listings for the API, status updates from
 * Kubernetes, and the whole inventory in two queries for the scheduler's in-memory model.
 */
import type { Health, Prisma, PrismaClient } from '../generated/prisma/client';
import { InvalidParameterError, mapped, NotFoundError } from '../errors';
import { isUuid } from '../ids';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from '../pagination';

export type HealthState = Health;

export interface GpuRecord {
  readonly id: string;
  readonly uuid: string;
  readonly nodeId: string;
  readonly nodeName: string;
  readonly index: number;
  readonly product: string;
  readonly memoryMiB: number;
  readonly tdpWatts: number;
  readonly minPowerLimitWatts: number;
  readonly maxPowerLimitWatts: number;
  readonly health: HealthState;
  readonly allocatedMilli: number;
}

export interface NodeRecord {
  readonly id: string;
  readonly name: string;
  readonly rackId: string;
  /** `site/hall/row/rack`. */
  readonly rackPath: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly idleWatts: number;
  readonly maxWatts: number;
  readonly labels: Record<string, string>;
  readonly schedulable: boolean;
  readonly health: HealthState;
  readonly lastSeenAt: Date | null;
  /** Sum of the predicted watts of the node's allocations. */
  readonly allocatedWatts: number;
  /** Sum of allocated shares over its GPUs, in milli-GPU. */
  readonly allocatedMilli: number;
  readonly gpus: GpuRecord[];
}

export interface NodeQuery extends PageRequest {
  /** Nodes anywhere under this scope (site, hall, row or rack). */
  readonly scopeId?: string;
  /** Nodes with at least one GPU of this product. */
  readonly product?: string;
  readonly health?: HealthState;
  readonly schedulable?: boolean;
}

export interface GpuQuery extends PageRequest {
  readonly scopeId?: string;
  readonly nodeName?: string;
  readonly product?: string;
  readonly health?: HealthState;
  /** true: only GPUs with free share left; false: only fully allocated ones. */
  readonly available?: boolean;
}

export interface NodeStatus {
  readonly schedulable?: boolean;
  readonly health?: HealthState;
  readonly lastSeenAt?: Date;
}

const gpuInclude = { product: { select: { name: true } }, node: { select: { name: true } } } as const;
const nodeInclude = {
  rack: { select: { path: true } },
  gpus: { include: gpuInclude, orderBy: { index: 'asc' } },
} as const;

type GpuRow = Prisma.GpuGetPayload<{ include: typeof gpuInclude }>;
type NodeRow = Prisma.NodeGetPayload<{ include: typeof nodeInclude }>;

function toGpu(row: GpuRow): GpuRecord {
  return {
    id: row.id,
    uuid: row.uuid,
    nodeId: row.nodeId,
    nodeName: row.node.name,
    index: row.index,
    product: row.product.name,
    memoryMiB: row.memoryMiB,
    tdpWatts: row.tdpWatts,
    minPowerLimitWatts: row.minPowerLimitWatts,
    maxPowerLimitWatts: row.maxPowerLimitWatts,
    health: row.health,
    allocatedMilli: row.allocatedMilli,
  };
}

function toNode(row: NodeRow): NodeRecord {
  return {
    id: row.id,
    name: row.name,
    rackId: row.rackId,
    rackPath: row.rack.path,
    cpuMilli: row.cpuMilli,
    memoryMiB: row.memoryMiB,
    idleWatts: row.idleWatts,
    maxWatts: row.maxWatts,
    labels: (row.labels ?? {}) as Record<string, string>,
    schedulable: row.schedulable,
    health: row.health,
    lastSeenAt: row.lastSeenAt,
    allocatedWatts: row.allocatedWatts,
    allocatedMilli: row.allocatedMilli,
    gpus: row.gpus.map(toGpu),
  };
}

/** Inventory as the scheduler loads it: every node with its GPUs and its rack. */
export interface InventorySnapshot {
  readonly nodes: Array<
    Omit<NodeRecord, 'gpus' | 'allocatedWatts' | 'allocatedMilli'> & {
      gpus: Array<Omit<GpuRecord, 'nodeId' | 'nodeName'>>;
    }
  >;
}

export class NodeRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** By id or Kubernetes node name. */
  async get(idOrName: string): Promise<NodeRecord> {
    const where = isUuid(idOrName) ? { id: idOrName } : { name: idOrName };
    const row = await mapped(() => this.prisma.node.findUnique({ where, include: nodeInclude }));
    if (!row) throw new NotFoundError('node', idOrName);
    return toNode(row);
  }

  /** Ordered by name. */
  async list(query: NodeQuery = {}): Promise<Page<NodeRecord>> {
    const limit = pageLimit(query);
    const after = query.cursor ? decodeCursor<[string]>('node', query.cursor, ['string'])[0] : undefined;
    const rack = await this.scopeFilter(query.scopeId);
    const rows = await mapped(() =>
      this.prisma.node.findMany({
        where: {
          ...(rack ? { rack } : {}),
          ...(query.product ? { gpus: { some: { product: { name: query.product } } } } : {}),
          health: query.health,
          schedulable: query.schedulable,
          ...(after !== undefined ? { name: { gt: after } } : {}),
        },
        include: nodeInclude,
        orderBy: { name: 'asc' },
        take: limit + 1,
      }),
    );
    return toPage(rows.map(toNode), limit, 'node', (n) => [n.name]);
  }

  /** Ordered by node name, then index. */
  async listGpus(query: GpuQuery = {}): Promise<Page<GpuRecord>> {
    const limit = pageLimit(query);
    const after = query.cursor ? decodeCursor<[string, number]>('gpu', query.cursor, ['string', 'number']) : undefined;
    const rack = await this.scopeFilter(query.scopeId);
    const nodeWhere: Prisma.NodeWhereInput = {
      ...(rack ? { rack } : {}),
      ...(query.nodeName ? { name: query.nodeName } : {}),
    };
    const rows = await mapped(() =>
      this.prisma.gpu.findMany({
        where: {
          node: nodeWhere,
          ...(query.product ? { product: { name: query.product } } : {}),
          health: query.health,
          ...(query.available === true ? { allocatedMilli: { lt: 1000 } } : {}),
          ...(query.available === false ? { allocatedMilli: 1000 } : {}),
          ...(after
            ? { OR: [{ node: { name: { gt: after[0] } } }, { node: { name: after[0] }, index: { gt: after[1] } }] }
            : {}),
        },
        include: gpuInclude,
        orderBy: [{ node: { name: 'asc' } }, { index: 'asc' }],
        take: limit + 1,
      }),
    );
    return toPage(rows.map(toGpu), limit, 'gpu', (g) => [g.nodeName, g.index]);
  }

  /** Readiness and cordon as Kubernetes reports them. */
  async updateStatus(name: string, status: NodeStatus): Promise<void> {
    const { count } = await mapped(() =>
      this.prisma.node.updateMany({
        where: { name },
        data: { schedulable: status.schedulable, health: status.health, lastSeenAt: status.lastSeenAt },
      }),
    );
    if (count === 0) throw new NotFoundError('node', name);
  }

  async setGpuHealth(uuid: string, health: HealthState): Promise<void> {
    const { count } = await mapped(() => this.prisma.gpu.updateMany({ where: { uuid }, data: { health } }));
    if (count === 0) throw new NotFoundError('GPU', uuid);
  }

  /** Every node with its GPUs, in two queries (15,000 nodes and 120,000 GPUs in about a second). */
  async snapshot(): Promise<InventorySnapshot> {
    const [nodes, gpus] = await mapped(() =>
      Promise.all([
        this.prisma.$queryRaw<
          Array<{
            id: string;
            name: string;
            rack_id: string;
            rack_path: string;
            cpu_milli: number;
            memory_mib: number;
            idle_watts: number;
            max_watts: number;
            labels: Record<string, string>;
            schedulable: boolean;
            health: HealthState;
            last_seen_at: Date | null;
          }>
        >`SELECT n.id, n.name, n.rack_id, r.path AS rack_path, n.cpu_milli, n.memory_mib, n.idle_watts, n.max_watts, n.labels,
                 n.schedulable, n.health::text AS health, n.last_seen_at
          FROM nodes n JOIN scopes r ON r.id = n.rack_id ORDER BY n.name`,
        this.prisma.$queryRaw<
          Array<{
            id: string;
            uuid: string;
            node_id: string;
            index: number;
            product: string;
            memory_mib: number;
            tdp_watts: number;
            min_power_limit_watts: number;
            max_power_limit_watts: number;
            health: HealthState;
            allocated_milli: number;
          }>
        >`SELECT g.id, g.uuid, g.node_id, g.index, p.name AS product, g.memory_mib, g.tdp_watts, g.min_power_limit_watts,
                 g.max_power_limit_watts, g.health::text AS health, g.allocated_milli
          FROM gpus g JOIN gpu_products p ON p.id = g.product_id ORDER BY g.node_id, g.index`,
      ]),
    );
    const byNode = new Map<string, InventorySnapshot['nodes'][number]['gpus']>();
    for (const g of gpus) {
      let list = byNode.get(g.node_id);
      if (!list) byNode.set(g.node_id, (list = []));
      list.push({
        id: g.id,
        uuid: g.uuid,
        index: g.index,
        product: g.product,
        memoryMiB: g.memory_mib,
        tdpWatts: g.tdp_watts,
        minPowerLimitWatts: g.min_power_limit_watts,
        maxPowerLimitWatts: g.max_power_limit_watts,
        health: g.health,
        allocatedMilli: g.allocated_milli,
      });
    }
    return {
      nodes: nodes.map((n) => ({
        id: n.id,
        name: n.name,
        rackId: n.rack_id,
        rackPath: n.rack_path,
        cpuMilli: n.cpu_milli,
        memoryMiB: n.memory_mib,
        idleWatts: n.idle_watts,
        maxWatts: n.max_watts,
        labels: n.labels ?? {},
        schedulable: n.schedulable,
        health: n.health,
        lastSeenAt: n.last_seen_at,
        gpus: byNode.get(n.id) ?? [],
      })),
    };
  }

  /** The Prisma filter for "rack inside scope", or an InvalidParameterError for an unknown scope. */
  private async scopeFilter(scopeId: string | undefined): Promise<Prisma.ScopeWhereInput | undefined> {
    if (scopeId === undefined) return undefined;
    const scope = isUuid(scopeId)
      ? await mapped(() => this.prisma.scope.findUnique({ where: { id: scopeId }, select: { path: true } }))
      : null;
    if (!scope) throw new InvalidParameterError('scopeId', 'is not the id of a scope');
    return { OR: [{ path: scope.path }, { path: { startsWith: `${scope.path}/` } }] };
  }
}

export class GpuProductRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async list(): Promise<
    Array<{
      id: string;
      name: string;
      memoryMiB: number;
      tdpWatts: number;
      minPowerLimitWatts: number;
      maxPowerLimitWatts: number;
    }>
  > {
    return mapped(() => this.prisma.gpuProduct.findMany({ orderBy: { name: 'asc' } }));
  }
}
