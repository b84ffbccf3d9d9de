/**
 * The audit log: one event per mutation, appended in the mutation's own transaction so that a
 * change without its event (or an event for a change rolled back) cannot exist.
 */
import type { PrismaClient } from '../generated/prisma/client';
import { InvalidParameterError } from '../errors';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from '../pagination';
import type { Tx } from '../transactions';

export interface AuditEventRecord {
  /** Increasing with time of insertion; a string because it is a bigint. */
  readonly id: string;
  readonly at: Date;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly details: unknown;
}

export interface NewAuditEvent {
  readonly actor: string;
  /** `<aggregate>.<verb>`, e.g. `tenant.create`, `topology.import`. */
  readonly action: string;
  /** What was acted on, e.g. `tenant/<id>`. */
  readonly target: string;
  readonly details?: Record<string, unknown>;
}

export interface AuditQuery extends PageRequest {
  readonly actor?: string;
  readonly action?: string;
  /** Inclusive. */
  readonly since?: Date;
  /** Exclusive. */
  readonly until?: Date;
}

export async function appendAuditEvent(tx: Tx, event: NewAuditEvent): Promise<void> {
  await tx.auditEvent.create({
    data: { actor: event.actor, action: event.action, target: event.target, details: jsonSafe(event.details ?? {}) },
  });
}

/** JSON columns take plain JSON: Dates become ISO strings, undefined fields disappear. */
function jsonSafe(value: Record<string, unknown>): object {
  return JSON.parse(JSON.stringify(value)) as object;
}

export class AuditLog {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * How many events each of `actions` has: the counts only grow (events are never deleted), so
   * a reader that remembers them sees that some writer changed a family of records, committed
   * in any order, without reading the records. Served by the (action, at) index.
   */
  async countsByAction(actions: readonly string[]): Promise<Map<string, number>> {
    const groups = await this.prisma.auditEvent.groupBy({
      by: ['action'],
      where: { action: { in: [...actions] } },
      _count: { _all: true },
    });
    return new Map(groups.map((g) => [g.action, g._count._all]));
  }

  /** Newest first. */
  async list(query: AuditQuery = {}): Promise<Page<AuditEventRecord>> {
    const limit = pageLimit(query);
    if (query.since && query.until && query.since >= query.until)
      throw new InvalidParameterError('until', 'must be after since');
    const after = query.cursor
      ? decodeCursor<[string, string]>('audit', query.cursor, ['string', 'string'])
      : undefined;
    if (after && (!/^\d+$/.test(after[1]) || Number.isNaN(Date.parse(after[0]))))
      throw new InvalidParameterError('cursor', 'is not a cursor returned by this API');
    const rows = await this.prisma.auditEvent.findMany({
      where: {
        actor: query.actor,
        action: query.action,
        at: { gte: query.since, lt: query.until },
        ...(after
          ? {
              OR: [{ at: { lt: new Date(after[0]) } }, { at: new Date(after[0]), id: { lt: BigInt(after[1]) } }],
            }
          : {}),
      },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    const records = rows.map((row): AuditEventRecord => ({
      id: row.id.toString(),
      at: row.at,
      actor: row.actor,
      action: row.action,
      target: row.target,
      details: row.details,
    }));
    return toPage(records, limit, 'audit', (event) => [event.at.toISOString(), event.id]);
  }
}
