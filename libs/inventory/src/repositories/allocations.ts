/**
 * Allocations: the GPUs (whole or in milli-GPU shares) and predicted power held by one pod.
 * Written before the bind call; the database refuses a second allocation for a pod and any
 * GPU share beyond 1000 milli, even between concurrent transactions. Released = deleted
 * (the audit log keeps the history), which frees the shares in the same transaction.
 */
import type { AllocationState, Priority, PrismaClient } from '../generated/prisma/client';
import { ConstraintViolationError, InvalidParameterError, InventoryError, mapped, NotFoundError } from '../errors';
import { isUuid } from '../ids';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from '../pagination';
import { transaction, type Tx } from '../transactions';
import { appendAuditEvent } from './audit-log';

export type PriorityClass = Priority;
/** A priority as the API, ModelDeployments and the database's column spell it (`best-effort`). */
export type PriorityClassName = Exclude<PriorityClass, 'best_effort'> | 'best-effort';

/** The Prisma enum names `best-effort` `best_effort`; everything outside this library uses the dash. */
export function toPriorityClass(name: PriorityClassName): PriorityClass {
  return name === 'best-effort' ? 'best_effort' : name;
}

export function priorityClassName(p: PriorityClass): PriorityClassName {
  return p === 'best_effort' ? 'best-effort' : p;
}
export type AllocationStateName = AllocationState;

export interface GpuShare {
  /** GPU index on the node. */
  readonly index: number;
  /** 1..1000; 1000 = the whole GPU. */
  readonly shareMilli: number;
}

export interface AllocationInput {
  readonly podUid: string;
  readonly podNamespace: string;
  readonly podName: string;
  readonly nodeName: string;
  readonly gpus: readonly GpuShare[];
  readonly predictedWatts: number;
  readonly powerLimitWatts?: number | null;
  readonly priority?: PriorityClass;
  readonly deploymentId?: string | null;
  readonly tenantId?: string | null;
}

export interface AllocationRecord {
  readonly id: string;
  readonly podUid: string;
  readonly podNamespace: string;
  readonly podName: string;
  readonly nodeId: string;
  readonly nodeName: string;
  readonly deploymentId: string | null;
  readonly tenantId: string | null;
  readonly priority: PriorityClass;
  readonly predictedWatts: number;
  readonly powerLimitWatts: number | null;
  readonly state: AllocationStateName;
  readonly createdAt: Date;
  readonly boundAt: Date | null;
  readonly gpus: Array<{ index: number; uuid: string; shareMilli: number }>;
}

/**
 * What became of one gang of a batch: committed (allocation ids in input order), refused by the
 * database (an InventoryError), or not attempted because the database became unreachable after
 * other gangs of the batch had committed (the driver's error).
 */
export type GangOutcome =
  { readonly committed: true; readonly ids: readonly string[] } | { readonly committed: false; readonly error: Error };

export interface AllocationQuery extends PageRequest {
  readonly nodeName?: string;
  readonly scopeId?: string;
  readonly tenantId?: string;
  readonly deploymentId?: string;
}

interface AllocationRow {
  id: string;
  pod_uid: string;
  pod_namespace: string;
  pod_name: string;
  node_id: string;
  node_name: string;
  deployment_id: string | null;
  tenant_id: string | null;
  priority: PriorityClass;
  predicted_watts: number;
  power_limit_watts: number | null;
  state: AllocationStateName;
  created_at: Date;
  bound_at: Date | null;
  gpus: Array<{ index: number; uuid: string; shareMilli: number }> | null;
}

function toRecord(row: AllocationRow): AllocationRecord {
  return {
    id: row.id,
    podUid: row.pod_uid,
    podNamespace: row.pod_namespace,
    podName: row.pod_name,
    nodeId: row.node_id,
    nodeName: row.node_name,
    deploymentId: row.deployment_id,
    tenantId: row.tenant_id,
    priority: row.priority,
    predictedWatts: row.predicted_watts,
    powerLimitWatts: row.power_limit_watts,
    state: row.state,
    createdAt: row.created_at,
    boundAt: row.bound_at,
    gpus: (row.gpus ?? []).sort((a, b) => a.index - b.index),
  };
}

/** Checks that need no database: they give the field-level message a 422 wants. */
function checkInput(input: AllocationInput, at: string): void {
  const seen = new Set<number>();
  input.gpus.forEach((gpu, i) => {
    if (!Number.isInteger(gpu.index) || gpu.index < 0)
      throw new ConstraintViolationError('must be an integer >= 0', undefined, `${at}gpus[${i}].index`);
    if (!Number.isInteger(gpu.shareMilli) || gpu.shareMilli < 1 || gpu.shareMilli > 1000) {
      throw new ConstraintViolationError(
        'must be an integer between 1 and 1000',
        undefined,
        `${at}gpus[${i}].shareMilli`,
      );
    }
    if (seen.has(gpu.index))
      throw new ConstraintViolationError(`GPU ${gpu.index} listed twice`, undefined, `${at}gpus[${i}].index`);
    seen.add(gpu.index);
  });
  if (!Number.isInteger(input.predictedWatts) || input.predictedWatts < 0) {
    throw new ConstraintViolationError('must be an integer >= 0', undefined, `${at}predictedWatts`);
  }
}

const SELECT_ALLOCATIONS = `
  SELECT a.id, a.pod_uid, a.pod_namespace, a.pod_name, a.node_id, n.name AS node_name, a.deployment_id, a.tenant_id,
         a.priority::text AS priority, a.predicted_watts, a.power_limit_watts, a.state::text AS state, a.created_at, a.bound_at,
         (SELECT json_agg(json_build_object('index', g.index, 'uuid', g.uuid, 'shareMilli', ag.share_milli))
            FROM allocation_gpus ag JOIN gpus g ON g.id = ag.gpu_id WHERE ag.allocation_id = a.id) AS gpus
  FROM allocations a JOIN nodes n ON n.id = a.node_id`;

async function insertOne(tx: Tx, input: AllocationInput, at: string): Promise<string> {
  checkInput(input, at);
  const node = await tx.node.findUnique({ where: { name: input.nodeName }, select: { id: true } });
  if (!node) throw new NotFoundError('node', input.nodeName, `${at}nodeName`);
  const indices = input.gpus.map((g) => g.index);
  const gpus = await tx.gpu.findMany({
    where: { nodeId: node.id, index: { in: indices } },
    select: { id: true, index: true },
  });
  const byIndex = new Map(gpus.map((g) => [g.index, g.id]));
  const missing = input.gpus.findIndex((g) => !byIndex.has(g.index));
  if (missing >= 0)
    throw new NotFoundError('GPU', `${input.nodeName}/${input.gpus[missing].index}`, `${at}gpus[${missing}].index`);
  const allocation = await tx.allocation.create({
    data: {
      podUid: input.podUid,
      podNamespace: input.podNamespace,
      podName: input.podName,
      nodeId: node.id,
      deploymentId: input.deploymentId ?? null,
      tenantId: input.tenantId ?? null,
      priority: input.priority ?? 'standard',
      predictedWatts: input.predictedWatts,
      powerLimitWatts: input.powerLimitWatts ?? null,
    },
    select: { id: true },
  });
  // Lowest GPU id first, the order in which the accounting trigger locks the GPU rows.
  const shares = input.gpus
    .map((g) => ({
      allocationId: allocation.id,
      gpuId: byIndex.get(g.index) as string,
      nodeId: node.id,
      shareMilli: g.shareMilli,
    }))
    .sort((a, b) => (a.gpuId < b.gpuId ? -1 : a.gpuId > b.gpuId ? 1 : 0));
  if (shares.length > 0) await tx.allocationGpu.createMany({ data: shares });
  return allocation.id;
}

/**
 * Many allocations and their GPU shares in one statement: the pods as one JSON document,
 * joined to their node and GPUs by name and index. The accounting triggers (one grouped update
 * of GPUs and nodes per statement, GPU rows locked lowest id first) and the CHECKs (share <= 1000
 * per GPU, one allocation per pod) apply exactly as for single inserts; a missing node or GPU
 * shows as a row count short of the input, which the caller checks.
 */
const INSERT_BATCH = `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
      pod_uid text, pod_namespace text, pod_name text, node text, deployment_id uuid, tenant_id uuid,
      priority text, predicted_watts int, power_limit_watts int, gpus jsonb)
  ), placed AS (
    INSERT INTO allocations (pod_uid, pod_namespace, pod_name, node_id, deployment_id, tenant_id, priority,
                             predicted_watts, power_limit_watts)
    SELECT i.pod_uid, i.pod_namespace, i.pod_name, n.id, i.deployment_id, i.tenant_id, i.priority::"Priority",
           i.predicted_watts, i.power_limit_watts
    FROM input i JOIN nodes n ON n.name = i.node
    RETURNING id, pod_uid, node_id
  ), shares AS (
    INSERT INTO allocation_gpus (allocation_id, gpu_id, node_id, share_milli)
    SELECT p.id, g.id, p.node_id, s.share
    FROM placed p
    JOIN input i ON i.pod_uid = p.pod_uid
    CROSS JOIN LATERAL jsonb_to_recordset(i.gpus) AS s(index int, share int)
    -- One index probe per share, not a hash of every GPU of the site (OFFSET 0 keeps the planner from flattening it).
    JOIN LATERAL (SELECT id FROM gpus WHERE node_id = p.node_id AND index = s.index OFFSET 0) g ON true
    ORDER BY g.id
    RETURNING allocation_id
  )
  SELECT (SELECT count(*)::int FROM shares) AS shares,
         coalesce((SELECT json_agg(json_build_array(pod_uid, id)) FROM placed), '[]'::json) AS placed`;

/** The database spelling of a priority (the column stores the dashed name). */
const dbPriority = (p: PriorityClass | undefined): PriorityClassName => priorityClassName(p ?? 'standard');

/** A batch the database refused as a whole; the caller splits it to find the gang at fault. */
class BatchShortfall extends ConstraintViolationError {
  constructor() {
    super('a node or GPU of the batch does not exist');
  }
}

export class AllocationRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** One pod's allocation with its GPU shares, atomically. */
  async create(input: AllocationInput, audit?: { actor: string }): Promise<AllocationRecord> {
    const [record] = await this.createGang([input], audit);
    return record;
  }

  /**
   * Several pods (a gang) all or nothing: one transaction, so a refused share or a pod that is
   * already allocated leaves none of them allocated.
   */
  async createGang(inputs: readonly AllocationInput[], audit?: { actor: string }): Promise<AllocationRecord[]> {
    if (inputs.length === 0) return [];
    const ids = await transaction(this.prisma, async (tx) => {
      const created: string[] = [];
      for (let i = 0; i < inputs.length; i++)
        created.push(await insertOne(tx, inputs[i], inputs.length > 1 ? `[${i}].` : ''));
      if (audit) {
        await appendAuditEvent(tx, {
          actor: audit.actor,
          action: 'allocation.create',
          target: inputs.length === 1 ? `pod/${inputs[0].podNamespace}/${inputs[0].podName}` : `gang/${inputs.length}`,
          details: { pods: inputs.map((p) => ({ uid: p.podUid, node: p.nodeName, gpus: p.gpus })) },
        });
      }
      return created;
    });
    const rows = await this.select(`WHERE a.id = ANY($1::uuid[])`, [ids]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) as AllocationRecord);
  }

  /**
   * Many gangs in one round trip: each gang all or nothing, one gang the database refuses (a GPU
   * share over 1000 milli, a pod already allocated, a missing node or GPU) leaves the others
   * committed. The whole batch goes in one transaction of one statement; when the database
   * refuses it, the batch is split in halves and retried, down to the single gang at fault,
   * which is tried on its own (createGang) for its exact error. An unreachable database throws.
   */
  async createGangs(gangs: readonly (readonly AllocationInput[])[]): Promise<GangOutcome[]> {
    const outcomes: (GangOutcome | undefined)[] = new Array(gangs.length);
    const valid: number[] = [];
    gangs.forEach((gang, g) => {
      try {
        gang.forEach((input, i) => checkInput(input, gang.length > 1 ? `[${i}].` : ''));
        if (gang.length === 0) outcomes[g] = { committed: true, ids: [] };
        else valid.push(g);
      } catch (error) {
        outcomes[g] = { committed: false, error: error as Error };
      }
    });
    const attempt = async (part: readonly number[]): Promise<void> => {
      if (part.length === 0) return;
      if (part.length === 1) {
        try {
          const records = await this.createGang(gangs[part[0]]);
          outcomes[part[0]] = { committed: true, ids: records.map((r) => r.id) };
        } catch (error) {
          if (!(error instanceof InventoryError)) throw error;
          outcomes[part[0]] = { committed: false, error };
        }
        return;
      }
      try {
        const ids = await this.insertBatch(part.flatMap((g) => gangs[g]));
        for (const g of part) outcomes[g] = { committed: true, ids: gangs[g].map((p) => ids.get(p.podUid) as string) };
      } catch (error) {
        if (!(error instanceof InventoryError)) throw error;
        const half = Math.ceil(part.length / 2);
        await attempt(part.slice(0, half));
        await attempt(part.slice(half));
      }
    };
    try {
      await attempt(valid);
    } catch (error) {
      // Unreachable: throw when nothing is durable; otherwise report what did commit.
      if (!outcomes.some((o) => o?.committed && o.ids.length > 0)) throw error;
      for (const g of valid) outcomes[g] ??= { committed: false, error: error as Error };
    }
    return outcomes as GangOutcome[];
  }

  /** One transaction, one statement; pod uid -> allocation id. Throws an InventoryError when refused. */
  private async insertBatch(inputs: readonly AllocationInput[]): Promise<Map<string, string>> {
    const rows = inputs.map((p) => ({
      pod_uid: p.podUid,
      pod_namespace: p.podNamespace,
      pod_name: p.podName,
      node: p.nodeName,
      deployment_id: p.deploymentId ?? null,
      tenant_id: p.tenantId ?? null,
      priority: dbPriority(p.priority),
      predicted_watts: p.predictedWatts,
      power_limit_watts: p.powerLimitWatts ?? null,
      gpus: p.gpus.map((g) => ({ index: g.index, share: g.shareMilli })),
    }));
    const expectedShares = inputs.reduce((n, p) => n + p.gpus.length, 0);
    return transaction(this.prisma, async (tx) => {
      const [result] = await tx.$queryRawUnsafe<{ shares: number; placed: [string, string][] }[]>(
        INSERT_BATCH,
        JSON.stringify(rows),
      );
      // Rolls the transaction back: a node or GPU the join did not find.
      if (result.placed.length !== inputs.length || result.shares !== expectedShares) throw new BatchShortfall();
      return new Map(result.placed);
    });
  }

  /** Marks the pod's allocation bound (after a successful bind call). */
  async markBound(podUid: string, at: Date = new Date()): Promise<void> {
    const { count } = await mapped(() =>
      this.prisma.allocation.updateMany({
        where: { podUid, state: 'reserved' },
        data: { state: 'bound', boundAt: at },
      }),
    );
    if (count === 0) {
      const exists = await mapped(() => this.prisma.allocation.count({ where: { podUid } }));
      if (exists === 0) throw new NotFoundError('allocation of pod', podUid);
    }
  }

  /** Marks many pods' allocations bound in one statement; returns how many changed (released pods are skipped). */
  async markBoundMany(podUids: readonly string[], at: Date = new Date()): Promise<number> {
    if (podUids.length === 0) return 0;
    return mapped(() =>
      this.prisma.$executeRawUnsafe(
        `UPDATE allocations SET state = 'bound', bound_at = $2::timestamptz
         WHERE pod_uid = ANY($1::text[]) AND state = 'reserved'`,
        [...podUids],
        at.toISOString(),
      ),
    );
  }

  /** Frees many pods' GPUs and power in one statement; returns the pod uids that had an allocation. */
  async releaseMany(podUids: readonly string[]): Promise<string[]> {
    if (podUids.length === 0) return [];
    const rows = await mapped(() =>
      this.prisma.$queryRawUnsafe<{ pod_uid: string }[]>(
        `DELETE FROM allocations WHERE pod_uid = ANY($1::text[]) RETURNING pod_uid`,
        [...podUids],
      ),
    );
    return rows.map((r) => r.pod_uid);
  }

  /** Frees the pod's GPUs and power. Returns false when the pod had no allocation (idempotent). */
  async release(podUid: string, audit?: { actor: string; reason?: string }): Promise<boolean> {
    return transaction(this.prisma, async (tx) => {
      const { count } = await tx.allocation.deleteMany({ where: { podUid } });
      if (count > 0 && audit) {
        await appendAuditEvent(tx, {
          actor: audit.actor,
          action: 'allocation.release',
          target: `pod-uid/${podUid}`,
          details: { reason: audit.reason },
        });
      }
      return count > 0;
    });
  }

  async findByPod(podUid: string): Promise<AllocationRecord | undefined> {
    const [row] = await this.select(`WHERE a.pod_uid = $1`, [podUid]);
    return row;
  }

  /** Ordered by creation, oldest first. */
  async list(query: AllocationQuery = {}): Promise<Page<AllocationRecord>> {
    const limit = pageLimit(query);
    const conditions: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.nodeName !== undefined) conditions.push(`n.name = ${param(query.nodeName)}`);
    for (const [field, value] of [
      ['tenantId', query.tenantId],
      ['deploymentId', query.deploymentId],
      ['scopeId', query.scopeId],
    ] as const) {
      if (value !== undefined && !isUuid(value)) throw new InvalidParameterError(field, 'must be a UUID');
    }
    if (query.tenantId !== undefined) conditions.push(`a.tenant_id = ${param(query.tenantId)}::uuid`);
    if (query.deploymentId !== undefined) conditions.push(`a.deployment_id = ${param(query.deploymentId)}::uuid`);
    if (query.scopeId !== undefined) {
      const scope = await mapped(() =>
        this.prisma.scope.findUnique({ where: { id: query.scopeId }, select: { path: true } }),
      );
      if (!scope) throw new InvalidParameterError('scopeId', 'is not the id of a scope');
      const path = param(scope.path);
      conditions.push(
        `EXISTS (SELECT 1 FROM scopes r WHERE r.id = n.rack_id AND (r.path = ${path} OR starts_with(r.path, ${path} || '/')))`,
      );
    }
    if (query.cursor) {
      const [createdAt, id] = decodeCursor<[string, string]>('allocation', query.cursor, ['string', 'string']);
      if (Number.isNaN(Date.parse(createdAt)) || !isUuid(id))
        throw new InvalidParameterError('cursor', 'is not a cursor returned by this API');
      conditions.push(`(a.created_at, a.id) > (${param(createdAt)}::timestamptz, ${param(id)}::uuid)`);
    }
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows = await this.select(`${where} ORDER BY a.created_at, a.id LIMIT ${limit + 1}`, params);
    return toPage(rows, limit, 'allocation', (a) => [a.createdAt.toISOString(), a.id]);
  }

  /** Every allocation (for rebuilding the scheduler's state). */
  async all(): Promise<AllocationRecord[]> {
    return this.select('ORDER BY a.created_at, a.id', []);
  }

  private async select(tail: string, params: unknown[]): Promise<AllocationRecord[]> {
    const rows = await mapped(() =>
      this.prisma.$queryRawUnsafe<AllocationRow[]>(`${SELECT_ALLOCATIONS} ${tail}`, ...params),
    );
    return rows.map(toRecord);
  }
}
