/**
 * Nodes and their GPUs: filtered, keyset-paginated listings for the API, status updates from
 * Kubernetes, and the whole inventory in two queries for the scheduler's in-memory model.
 */
import { createHash } from 'node:crypto';
import type { Health, Prisma, PrismaClient } from '../generated/prisma/client';
import { allocationConflicts } from '../allocation-guard';
import { ConflictError, InvalidParameterError, mapped, NotFoundError } from '../errors';
import { isUuid } from '../ids';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from '../pagination';
import { appendAuditEvent } from './audit-log';
import { transaction, type AuditContext, type Tx } from '../transactions';

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

/**
 * A Node as Kubernetes describes it (allocatable `nvidia.com/gpu`, GPU feature discovery and
 * Switchyard topology labels), for `syncFromKubernetes`.
 */
export interface KubernetesNodeShape {
  readonly name: string;
  /** `switchyard.io/site`; when absent the rack is found by hall/row/rack alone (it must be unique). */
  readonly site?: string;
  readonly hall: string;
  readonly row: string;
  readonly rack: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly gpuCount: number;
  /** `nvidia.com/gpu.product`; required when gpuCount > 0 and must name a known GPU product. */
  readonly gpuProduct: string | null;
  /** `nvidia.com/gpu.memory` in MiB; default the product's. */
  readonly gpuMemoryMiB?: number;
  /** GPU UUIDs by index when the node publishes them; otherwise stable ones derived from node name and index. */
  readonly gpuUuids?: readonly string[];
  /** Default 2,000 W idle and idle + the GPUs' TDP at most (the topology file's usual figures). */
  readonly idleWatts?: number;
  readonly maxWatts?: number;
  readonly schedulable: boolean;
  readonly health: HealthState;
}

/** What `syncFromKubernetes` compares, for every node, in one query (to skip Node objects that already agree). */
export interface NodeShapeRecord {
  readonly name: string;
  /** `site/hall/row/rack`. */
  readonly rackPath: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly gpuCount: number;
  /** The product of the GPUs (null without GPUs), and whether they all have that product. */
  readonly gpuProduct: string | null;
  readonly uniformGpus: boolean;
  /** Smallest and largest GPU memory (null without GPUs). */
  readonly gpuMemoryMiB: { readonly min: number; readonly max: number } | null;
}

export interface NodeSyncOutcome {
  readonly change: 'created' | 'updated' | 'unchanged';
  /** What differed, e.g. `rack`, `gpuCount`, `gpuProduct`, `cpuMilli`. */
  readonly fields: string[];
}

const DEFAULT_NODE_IDLE_WATTS = 2000;

/** A GPU UUID in NVIDIA's form, stable for (node, index), for nodes that do not publish theirs. */
export function derivedGpuUuid(nodeName: string, index: number): string {
  const h = createHash('sha256').update(`${nodeName}/${index}`).digest('hex');
  return `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
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

  async shapes(): Promise<NodeShapeRecord[]> {
    const rows = await mapped(
      () =>
        this.prisma.$queryRaw<
          Array<{
            name: string;
            rack_path: string;
            cpu_milli: number;
            memory_mib: number;
            gpu_count: number;
            product: string | null;
            min_memory: number | null;
            max_memory: number | null;
            uniform: boolean;
          }>
        >`SELECT n.name, r.path AS rack_path, n.cpu_milli, n.memory_mib, count(g.id)::int AS gpu_count,
               min(p.name) AS product, min(g.memory_mib)::int AS min_memory, max(g.memory_mib)::int AS max_memory,
               count(DISTINCT g.product_id) <= 1 AS uniform
        FROM nodes n JOIN scopes r ON r.id = n.rack_id
        LEFT JOIN gpus g ON g.node_id = n.id LEFT JOIN gpu_products p ON p.id = g.product_id
        GROUP BY n.id, r.path`,
    );
    return rows.map((r) => ({
      name: r.name,
      rackPath: r.rack_path,
      cpuMilli: r.cpu_milli,
      memoryMiB: r.memory_mib,
      gpuCount: r.gpu_count,
      gpuProduct: r.product,
      uniformGpus: r.uniform,
      gpuMemoryMiB: r.min_memory === null ? null : { min: r.min_memory, max: r.max_memory ?? r.min_memory },
    }));
  }

  /**
   * Creates or updates a node and its GPUs from its Kubernetes Node object, in one transaction:
   * either everything is written or nothing is. Refused (nothing written) with
   * InvalidParameterError when the labels name no rack scope or an unknown GPU product, and
   * with ConflictError when the change would pull GPUs, a product, memory or a rack from under
   * live allocations (see `allocationConflicts`, the rule topology import follows too).
   */
  async syncFromKubernetes(shape: KubernetesNodeShape, audit: AuditContext): Promise<NodeSyncOutcome> {
    if (!Number.isInteger(shape.gpuCount) || shape.gpuCount < 0)
      throw new InvalidParameterError('nvidia.com/gpu', `must be a whole number of GPUs, got ${shape.gpuCount}`);
    return transaction(this.prisma, async (tx) => {
      const rack = await findRack(tx, shape);
      const product = shape.gpuCount > 0 ? await findProduct(tx, shape.gpuProduct) : null;
      const existing = (
        await tx.$queryRaw<
          Array<{
            id: string;
            rack_id: string;
            rack_path: string;
            cpu_milli: number;
            memory_mib: number;
            allocations: number;
          }>
        >`SELECT n.id, n.rack_id, r.path AS rack_path, n.cpu_milli, n.memory_mib,
                 (SELECT count(*)::int FROM allocations a WHERE a.node_id = n.id) AS allocations
          FROM nodes n JOIN scopes r ON r.id = n.rack_id WHERE n.name = ${shape.name} FOR UPDATE OF n`
      )[0];
      const gpuMemory = product ? (shape.gpuMemoryMiB ?? product.memory_mib) : 0;
      const uuids = Array.from(
        { length: shape.gpuCount },
        (_, i) => shape.gpuUuids?.[i] || derivedGpuUuid(shape.name, i),
      );
      if (!existing) {
        const idle = shape.idleWatts ?? DEFAULT_NODE_IDLE_WATTS;
        const max = shape.maxWatts ?? idle + shape.gpuCount * (product?.tdp_watts ?? 0);
        const [node] = await tx.$queryRaw<Array<{ id: string }>>`
          INSERT INTO nodes (name, rack_id, cpu_milli, memory_mib, idle_watts, max_watts, schedulable, health, last_seen_at)
          VALUES (${shape.name}, ${rack.id}::uuid, ${shape.cpuMilli}, ${shape.memoryMiB}, ${idle}, ${max},
                  ${shape.schedulable}, ${shape.health}::"Health", now())
          RETURNING id`;
        if (product) await insertGpus(tx, node.id, product, gpuMemory, uuids, 0);
        await appendAuditEvent(tx, {
          actor: audit.actor,
          action: 'node.create',
          target: `node/${shape.name}`,
          details: { rack: rack.path, gpus: shape.gpuCount, product: product?.name ?? null },
        });
        return { change: 'created', fields: [] };
      }
      const gpus = await tx.$queryRaw<
        Array<{ id: string; index: number; product: string; memory_mib: number; allocated_milli: number; uuid: string }>
      >`SELECT g.id, g.index, p.name AS product, g.memory_mib, g.allocated_milli, g.uuid
        FROM gpus g JOIN gpu_products p ON p.id = g.product_id WHERE g.node_id = ${existing.id}::uuid ORDER BY g.index`;
      const fields: string[] = [];
      if (existing.rack_id !== rack.id) fields.push('rack');
      if (existing.cpu_milli !== shape.cpuMilli) fields.push('cpuMilli');
      if (existing.memory_mib !== shape.memoryMiB) fields.push('memoryMiB');
      if (gpus.length !== shape.gpuCount) fields.push('gpuCount');
      const kept = gpus.filter((g) => g.index < shape.gpuCount);
      const retyped = product ? kept.filter((g) => g.product !== product.name) : [];
      // The memory label (GPU feature discovery) may be corrected; under allocations only upwards.
      const remembered =
        product && shape.gpuMemoryMiB !== undefined
          ? kept.filter((g) => g.product === product.name && g.memory_mib !== shape.gpuMemoryMiB)
          : [];
      if (retyped.length > 0) fields.push('gpuProduct');
      if (remembered.length > 0) fields.push('gpuMemoryMiB');
      if (fields.length === 0) return { change: 'unchanged', fields };

      const removed = gpus.filter((g) => g.index >= shape.gpuCount);
      const conflicts = allocationConflicts(
        {
          name: shape.name,
          rackPath: existing.rack_path,
          allocations: existing.allocations,
          gpus: gpus.map((g) => ({ ...g, memoryMiB: g.memory_mib, allocatedMilli: g.allocated_milli })),
        },
        {
          rackPath: rack.path,
          gpus: kept.map((g) => ({
            uuid: g.uuid,
            product: product?.name ?? g.product,
            memoryMiB: retyped.includes(g) || remembered.includes(g) ? gpuMemory : g.memory_mib,
          })),
        },
      );
      if (conflicts.length > 0)
        throw new ConflictError(
          `node ${shape.name}: ${conflicts.map((c) => c.message).join('; ')}; it keeps its current shape until they are released`,
          'held-by-allocations',
        );

      await tx.$executeRaw`UPDATE nodes SET rack_id = ${rack.id}::uuid, cpu_milli = ${shape.cpuMilli},
                           memory_mib = ${shape.memoryMiB}, updated_at = now() WHERE id = ${existing.id}::uuid`;
      if (removed.length > 0)
        await tx.$executeRaw`DELETE FROM gpus WHERE node_id = ${existing.id}::uuid AND index >= ${shape.gpuCount}`;
      if (product) {
        if (retyped.length > 0)
          await tx.$executeRaw`UPDATE gpus SET product_id = ${product.id}::uuid, memory_mib = ${gpuMemory},
                   tdp_watts = ${product.tdp_watts}, min_power_limit_watts = ${product.min_power_limit_watts},
                   max_power_limit_watts = ${product.max_power_limit_watts}
                 WHERE node_id = ${existing.id}::uuid AND index < ${shape.gpuCount} AND product_id <> ${product.id}::uuid`;
        if (remembered.length > 0)
          await tx.$executeRaw`UPDATE gpus SET memory_mib = ${gpuMemory}
                 WHERE node_id = ${existing.id}::uuid AND index < ${shape.gpuCount} AND product_id = ${product.id}::uuid`;
        if (gpus.length < shape.gpuCount)
          await insertGpus(tx, existing.id, product, gpuMemory, uuids.slice(gpus.length), gpus.length);
      }
      await appendAuditEvent(tx, {
        actor: audit.actor,
        action: 'node.update',
        target: `node/${shape.name}`,
        details: { fields, rack: rack.path, gpus: shape.gpuCount, product: product?.name ?? null },
      });
      return { change: 'updated', fields };
    });
  }

  /**
   * Deletes a node (and its GPUs) that Kubernetes no longer has, unless allocations still
   * reference it: then it is only marked unschedulable and unhealthy, and false is returned
   * (call again once its pods are gone). NotFoundError when there is no such node.
   */
  async removeIfUnallocated(name: string, audit: AuditContext): Promise<boolean> {
    return transaction(this.prisma, async (tx) => {
      const node = (
        await tx.$queryRaw<Array<{ id: string; allocations: number }>>`
          SELECT n.id, (SELECT count(*)::int FROM allocations a WHERE a.node_id = n.id) AS allocations
          FROM nodes n WHERE n.name = ${name} FOR UPDATE`
      )[0];
      if (!node) throw new NotFoundError('node', name);
      if (node.allocations > 0) {
        await tx.$executeRaw`UPDATE nodes SET schedulable = false, health = 'unhealthy', updated_at = now()
                             WHERE id = ${node.id}::uuid`;
        return false;
      }
      await tx.$executeRaw`DELETE FROM nodes WHERE id = ${node.id}::uuid`;
      await appendAuditEvent(tx, { actor: audit.actor, action: 'node.delete', target: `node/${name}` });
      return true;
    });
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

interface ProductRow {
  id: string;
  name: string;
  memory_mib: number;
  tdp_watts: number;
  min_power_limit_watts: number;
  max_power_limit_watts: number;
}

/** The rack scope the topology labels name, or InvalidParameterError naming the label. */
async function findRack(tx: Tx, shape: KubernetesNodeShape): Promise<{ id: string; path: string }> {
  const racks = await tx.$queryRaw<Array<{ id: string; path: string }>>`
    SELECT id, path FROM scopes
    WHERE kind = 'rack' AND name = ${shape.rack}
      AND path = split_part(path, '/', 1) || '/' || ${shape.hall} || '/' || ${shape.row} || '/' || ${shape.rack}
      AND (${shape.site ?? null}::text IS NULL OR split_part(path, '/', 1) = ${shape.site ?? null}::text)`;
  const where = `${shape.site ? `${shape.site}/` : ''}${shape.hall}/${shape.row}/${shape.rack}`;
  if (racks.length === 0)
    throw new InvalidParameterError('switchyard.io/rack', `names no rack scope in the inventory (${where})`);
  if (racks.length > 1)
    throw new InvalidParameterError(
      'switchyard.io/site',
      `is needed: ${racks.length} sites have a rack ${where} (${racks.map((r) => r.path).join(', ')})`,
    );
  return racks[0];
}

async function findProduct(tx: Tx, name: string | null): Promise<ProductRow> {
  if (!name) throw new InvalidParameterError('nvidia.com/gpu.product', 'is missing on a node with GPUs');
  const rows = await tx.$queryRaw<ProductRow[]>`
    SELECT id, name, memory_mib, tdp_watts, min_power_limit_watts, max_power_limit_watts
    FROM gpu_products WHERE name = ${name}`;
  if (rows.length === 0)
    throw new InvalidParameterError(
      'nvidia.com/gpu.product',
      `names an unknown GPU product "${name}" (add it to the topology's gpuProducts)`,
    );
  return rows[0];
}

async function insertGpus(
  tx: Tx,
  nodeId: string,
  product: ProductRow,
  memoryMiB: number,
  uuids: readonly string[],
  firstIndex: number,
): Promise<void> {
  const rows = uuids.map((uuid, i) => ({ uuid, index: firstIndex + i }));
  await tx.$executeRaw`
    INSERT INTO gpus (uuid, node_id, index, product_id, memory_mib, tdp_watts, min_power_limit_watts, max_power_limit_watts)
    SELECT r.uuid, ${nodeId}::uuid, r.index, ${product.id}::uuid, ${memoryMiB}, ${product.tdp_watts},
           ${product.min_power_limit_watts}, ${product.max_power_limit_watts}
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(uuid text, index int)`;
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
