/**
 * The power scope tree with its aggregates, in two set-based queries whatever the size
 * (scopes with their active override; per-rack sums of the per-node totals that triggers keep
 * in `nodes`), rolled up in memory: the campus (4,141 scopes, 15,000 nodes, 120,000 GPUs) sums
 * 15,000 rows per call, never the GPUs or the allocations.
 */
import { INT4_MAX } from '@switchyard/contracts';
import type { Database } from '../database';
import { ConstraintViolationError, mapped, NotFoundError } from '../errors';
import { isUuid } from '../ids';
import { lockedById } from '../row-locks';
import { transaction, type AuditContext } from '../transactions';
import { appendAuditEvent } from './audit-log';

export type ScopeKind = 'site' | 'hall' | 'row' | 'rack';

export interface ActiveOverride {
  readonly id: string;
  readonly watts: number;
  readonly endsAt: Date;
  readonly reason: string;
}

export interface ScopeSummary {
  readonly id: string;
  readonly kind: ScopeKind;
  readonly name: string;
  readonly path: string;
  readonly parentId: string | null;
  readonly capacityWatts: number;
  readonly oversubscriptionRatio: number;
  /** The lowest active override, if any. */
  readonly activeOverride: ActiveOverride | null;
  /** floor(capacity x oversubscription), lowered to the active override's watts. */
  readonly effectiveBudgetWatts: number;
  /** Sum of the predicted watts of the allocations on nodes inside the scope. */
  readonly allocatedWatts: number;
  readonly nodes: number;
  readonly gpusTotal: number;
  /** Sum of allocated shares in milli-GPU (a GPU shared by two pods at 500 counts 1000). */
  readonly gpusAllocatedMilli: number;
  /** GPUs with any allocation. */
  readonly gpusBusy: number;
}

export interface ScopeTreeNode extends ScopeSummary {
  readonly children: ScopeTreeNode[];
}

/** The budget rule of the power model, in one place. */
export function effectiveBudget(
  capacityWatts: number,
  oversubscriptionRatio: number,
  overrideWatts: number | null,
): number {
  const nominal = Math.floor(capacityWatts * oversubscriptionRatio);
  return overrideWatts === null ? nominal : Math.min(nominal, overrideWatts);
}

interface ScopeRow {
  id: string;
  kind: ScopeKind;
  name: string;
  path: string;
  parent_id: string | null;
  capacity_watts: number;
  oversubscription_ratio: number;
}

interface OverrideRow {
  scope_id: string;
  id: string;
  watts: number;
  ends_at: Date;
  reason: string;
}

interface RackRow {
  rack_id: string;
  nodes: number;
  gpus_total: number;
  gpus_allocated_milli: number;
  gpus_busy: number;
  allocated_watts: number;
}

/** What an operator may change on a scope; fields left undefined keep their value. */
export interface ScopeChanges {
  readonly capacityWatts?: number;
  readonly oversubscriptionRatio?: number;
}

/** The row as stored, without aggregates: what `update` returns. */
/** A scope as the placement engine's budget tree needs it. */
export interface ScopeBudget {
  readonly id: string;
  readonly kind: ScopeKind;
  readonly parentId: string | null;
  readonly capacityWatts: number;
  readonly oversubscription: number;
}

export interface ScopeRecord {
  readonly id: string;
  readonly kind: ScopeKind;
  readonly name: string;
  readonly path: string;
  readonly parentId: string | null;
  readonly capacityWatts: number;
  readonly oversubscriptionRatio: number;
  readonly updatedAt: Date;
}

/**
 * Values the CHECK constraints cannot judge: PostgreSQL orders NaN above every number (so NaN
 * would pass `>= 1.0`), and a non-integer or out-of-range capacity fails inside Prisma, not as a
 * constraint. Bounds the database does check (> 0, >= 1.0) are left to it, to live in one place.
 */
function checkChanges(changes: ScopeChanges): void {
  const { capacityWatts, oversubscriptionRatio } = changes;
  if (capacityWatts !== undefined && (!Number.isInteger(capacityWatts) || capacityWatts > INT4_MAX))
    throw new ConstraintViolationError(`must be an integer <= ${INT4_MAX}`, undefined, 'capacityWatts');
  if (oversubscriptionRatio !== undefined && !Number.isFinite(oversubscriptionRatio))
    throw new ConstraintViolationError('must be a finite number', undefined, 'oversubscriptionRatio');
}

const KIND_DEPTH: Record<ScopeKind, number> = { site: 0, hall: 1, row: 2, rack: 3 };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class ScopeRepository {
  /** The scope rows change only when a topology is imported; kept with the fingerprint they had. */
  private cached: { fingerprint: string; rows: ScopeRow[] } | undefined;

  constructor(private readonly database: Database) {}

  /**
   * The scope rows, re-read only when their fingerprint changes. Every write of a row gives it a
   * new xmin, so count + sum of row-version hashes changes with any insert, update or delete, by
   * this process or another one; computing it scans 4,141 narrow rows but sends one back.
   */
  private async scopeRows(): Promise<ScopeRow[]> {
    const [{ fingerprint }] = await this.database.read<{ fingerprint: string }>(
      `SELECT count(*)::text || ':' || coalesce(sum(hashtext(xmin::text || ctid::text)::bigint), 0)::text AS fingerprint FROM scopes`,
    );
    if (this.cached?.fingerprint === fingerprint) return this.cached.rows;
    const rows = await this.database.read<ScopeRow>(
      `SELECT id, kind::text AS kind, name, path, parent_id, capacity_watts, oversubscription_ratio
       FROM scopes ORDER BY path COLLATE "C"`,
    );
    this.cached = { fingerprint, rows };
    return rows;
  }

  /** Every site as a tree, children ordered by name. */
  async tree(now: Date = new Date()): Promise<ScopeTreeNode[]> {
    const summaries = await this.summaries(now);
    const byId = new Map<string, ScopeTreeNode>();
    for (const summary of summaries) byId.set(summary.id, { ...summary, children: [] });
    const roots: ScopeTreeNode[] = [];
    for (const node of byId.values()) {
      const parent = node.parentId ? byId.get(node.parentId) : undefined;
      if (parent) parent.children.push(node);
      else roots.push(node);
    }
    return roots;
  }

  /**
   * Every scope's place in the tree and nominal budget (no override applied, no aggregates): what
   * the cluster state loads and reconciles against. Parents before children.
   */
  async budgets(): Promise<ScopeBudget[]> {
    const rows = await mapped(() => this.scopeRows());
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      parentId: r.parent_id,
      capacityWatts: r.capacity_watts,
      oversubscription: r.oversubscription_ratio,
    }));
  }

  /** Every scope with its aggregates, flat, ordered by path (parents before children). */
  async summaries(now: Date = new Date()): Promise<ScopeSummary[]> {
    // Straight through the driver: decoding 4,141 rows through Prisma's raw query path takes
    // about three times as long as the query itself.
    const [scopes, overrides, racks] = await mapped(() =>
      Promise.all([
        this.scopeRows(),
        this.database.read<OverrideRow>(
          `SELECT DISTINCT ON (b.scope_id) b.scope_id, b.id, b.watts, b.ends_at, b.reason FROM budget_overrides b
           WHERE b.cancelled_at IS NULL AND b.starts_at <= $1 AND b.ends_at > $1
           ORDER BY b.scope_id, b.watts, b.ends_at`,
          [now],
        ),
        // Per-rack sums of the node totals the triggers keep; each fits int4 (a rack holds a few nodes).
        this.database.read<RackRow>(
          `SELECT rack_id, count(*)::int AS nodes, sum(gpu_count)::int AS gpus_total, sum(allocated_milli)::int AS gpus_allocated_milli,
                  sum(busy_gpus)::int AS gpus_busy, sum(allocated_watts)::int AS allocated_watts
           FROM nodes GROUP BY rack_id`,
        ),
      ]),
    );
    const activeOverrides = new Map(overrides.map((o) => [o.scope_id, o]));
    const totals = new Map(racks.map((r) => [r.rack_id, r]));
    const summaries: Array<Mutable<ScopeSummary>> = scopes.map((row) => {
      const rack = totals.get(row.id);
      const override = activeOverrides.get(row.id);
      return {
        id: row.id,
        kind: row.kind,
        name: row.name,
        path: row.path,
        parentId: row.parent_id,
        capacityWatts: row.capacity_watts,
        oversubscriptionRatio: row.oversubscription_ratio,
        activeOverride: override
          ? { id: override.id, watts: override.watts, endsAt: override.ends_at, reason: override.reason }
          : null,
        effectiveBudgetWatts: effectiveBudget(row.capacity_watts, row.oversubscription_ratio, override?.watts ?? null),
        allocatedWatts: rack?.allocated_watts ?? 0,
        nodes: rack?.nodes ?? 0,
        gpusTotal: rack?.gpus_total ?? 0,
        gpusAllocatedMilli: rack?.gpus_allocated_milli ?? 0,
        gpusBusy: rack?.gpus_busy ?? 0,
      };
    });
    // Roll up deepest first (racks into rows, rows into halls, halls into sites).
    const byId = new Map(summaries.map((s) => [s.id, s]));
    const deepestFirst = [...summaries].sort((a, b) => KIND_DEPTH[b.kind] - KIND_DEPTH[a.kind]);
    for (const child of deepestFirst) {
      const parent = child.parentId ? byId.get(child.parentId) : undefined;
      if (!parent) continue;
      parent.allocatedWatts += child.allocatedWatts;
      parent.nodes += child.nodes;
      parent.gpusTotal += child.gpusTotal;
      parent.gpusAllocatedMilli += child.gpusAllocatedMilli;
      parent.gpusBusy += child.gpusBusy;
    }
    return summaries;
  }

  /** One scope with its aggregates and its direct children. */
  async get(id: string, now: Date = new Date()): Promise<ScopeSummary & { children: ScopeSummary[] }> {
    if (!isUuid(id)) throw new NotFoundError('scope', id);
    const summaries = await this.summaries(now);
    const scope = summaries.find((s) => s.id === id);
    if (!scope) throw new NotFoundError('scope', id);
    return { ...scope, children: summaries.filter((s) => s.parentId === id) };
  }

  /**
   * Changes a scope's capacity and/or oversubscription, with its audit event in the same
   * transaction. NotFoundError for an unknown id; ConstraintViolationError (naming the field) when
   * the database's CHECK constraints refuse a value, in which case nothing is written.
   */
  async update(id: string, changes: ScopeChanges, audit: AuditContext): Promise<ScopeRecord> {
    checkChanges(changes);
    if (!isUuid(id)) throw new NotFoundError('scope', id);
    try {
      return await transaction(this.database.prisma, async (tx) => {
        const select = {
          id: true,
          kind: true,
          name: true,
          path: true,
          parentId: true,
          capacityWatts: true,
          oversubscriptionRatio: true,
          updatedAt: true,
        } as const;
        const before = await lockedById(tx, 'scopes', 'scope', id, () =>
          tx.scope.findUnique({ where: { id }, select }),
        );
        const after = await tx.scope.update({
          where: { id },
          data: { capacityWatts: changes.capacityWatts, oversubscriptionRatio: changes.oversubscriptionRatio },
          select,
        });
        const budget = (scope: ScopeRecord) => ({
          capacityWatts: scope.capacityWatts,
          oversubscriptionRatio: scope.oversubscriptionRatio,
        });
        await appendAuditEvent(tx, {
          actor: audit.actor,
          action: 'scope.update',
          target: `scope/${id}`,
          details: { path: before.path, before: budget(before), changes, after: budget(after) },
        });
        return after;
      });
    } finally {
      // The fingerprint would notice the new row version anyway; dropping the rows makes the
      // next read certain to see this change without relying on a hash sum.
      this.cached = undefined;
    }
  }

  async findByPath(path: string): Promise<{ id: string; kind: ScopeKind; path: string } | undefined> {
    const row = await mapped(() =>
      this.database.prisma.scope.findUnique({ where: { path }, select: { id: true, kind: true, path: true } }),
    );
    return row ?? undefined;
  }
}
