/**
 * Temporary budgets for a scope (grid events: "site to 170 MW from 14:00 to 16:00"). While
 * active (startsAt <= now < endsAt, not cancelled) the scope's effective budget is the lowest
 * of its capacity x oversubscription and every active override's watts.
 */
import type { BudgetOverride, PrismaClient } from '../generated/prisma/client';
import { ConflictError, ConstraintViolationError, InvalidParameterError, mapped, NotFoundError } from '../errors';
import { existingById, isUuid } from '../ids';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from '../pagination';
import { transaction, type AuditContext } from '../transactions';
import { appendAuditEvent } from './audit-log';

export interface BudgetOverrideRecord {
  readonly id: string;
  readonly scopeId: string;
  readonly watts: number;
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly reason: string;
  readonly createdBy: string | null;
  readonly createdAt: Date;
  readonly cancelledAt: Date | null;
}

export interface BudgetOverrideInput {
  readonly scopeId: string;
  readonly watts: number;
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly reason: string;
}

export type BudgetOverrideState = 'scheduled' | 'active' | 'ended' | 'cancelled';

export interface BudgetOverrideQuery extends PageRequest {
  readonly scopeId?: string;
  /** Only overrides in this state at `now`. */
  readonly state?: BudgetOverrideState;
  readonly now?: Date;
}

export function overrideState(override: BudgetOverrideRecord, now: Date): BudgetOverrideState {
  if (override.cancelledAt) return 'cancelled';
  if (now < override.startsAt) return 'scheduled';
  return now < override.endsAt ? 'active' : 'ended';
}

function toRecord(row: BudgetOverride): BudgetOverrideRecord {
  return { ...row };
}

export class BudgetOverrideRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async create(input: BudgetOverrideInput, audit: AuditContext): Promise<BudgetOverrideRecord> {
    if (!(input.endsAt > input.startsAt))
      throw new ConstraintViolationError('must be after startsAt', undefined, 'endsAt');
    return transaction(this.prisma, async (tx) => {
      const scope = isUuid(input.scopeId)
        ? await tx.scope.findUnique({ where: { id: input.scopeId }, select: { id: true } })
        : null;
      if (!scope) throw new NotFoundError('scope', input.scopeId, 'scopeId');
      const row = await tx.budgetOverride.create({ data: { ...input, createdBy: audit.actor } });
      await appendAuditEvent(tx, {
        actor: audit.actor,
        action: 'budgetOverride.create',
        target: `budgetOverride/${row.id}`,
        details: { ...input },
      });
      return toRecord(row);
    });
  }

  /** Ends the override now. Cancelling twice is a ConflictError (the first cancellation stands). */
  cancel(id: string, audit: AuditContext): Promise<BudgetOverrideRecord> {
    return transaction(this.prisma, async (tx) => {
      const existing = await existingById('budget override', id, () => tx.budgetOverride.findUnique({ where: { id } }));
      // Conditional update: two concurrent cancels cannot both succeed.
      const { count } = await tx.budgetOverride.updateMany({
        where: { id, cancelledAt: null },
        data: { cancelledAt: new Date() },
      });
      if (count === 0) throw new ConflictError(`budget override ${id} is already cancelled`, 'already-cancelled');
      await appendAuditEvent(tx, {
        actor: audit.actor,
        action: 'budgetOverride.cancel',
        target: `budgetOverride/${id}`,
        details: { scopeId: existing.scopeId },
      });
      return toRecord(await tx.budgetOverride.findUniqueOrThrow({ where: { id } }));
    });
  }

  async get(id: string): Promise<BudgetOverrideRecord> {
    return toRecord(
      await existingById('budget override', id, () =>
        mapped(() => this.prisma.budgetOverride.findUnique({ where: { id } })),
      ),
    );
  }

  /** Every override not cancelled and not yet ended at `now` (in force or scheduled): what the cluster state schedules. */
  async live(now: Date): Promise<BudgetOverrideRecord[]> {
    const rows = await mapped(() =>
      this.prisma.budgetOverride.findMany({
        where: { cancelledAt: null, endsAt: { gt: now } },
        orderBy: [{ startsAt: 'asc' }, { id: 'asc' }],
      }),
    );
    return rows.map(toRecord);
  }

  /** Newest start first. */
  async list(query: BudgetOverrideQuery = {}): Promise<Page<BudgetOverrideRecord>> {
    const limit = pageLimit(query);
    const now = query.now ?? new Date();
    if (query.scopeId !== undefined && !isUuid(query.scopeId))
      throw new InvalidParameterError('scopeId', 'must be a UUID');
    const after = query.cursor
      ? decodeCursor<[string, string]>('budgetOverride', query.cursor, ['string', 'string'])
      : undefined;
    if (after && (Number.isNaN(Date.parse(after[0])) || !isUuid(after[1])))
      throw new InvalidParameterError('cursor', 'is not a cursor returned by this API');
    const state = query.state;
    const rows = await mapped(() =>
      this.prisma.budgetOverride.findMany({
        where: {
          scopeId: query.scopeId,
          ...(state === 'cancelled' ? { cancelledAt: { not: null } } : {}),
          ...(state === 'scheduled' ? { cancelledAt: null, startsAt: { gt: now } } : {}),
          ...(state === 'active' ? { cancelledAt: null, startsAt: { lte: now }, endsAt: { gt: now } } : {}),
          ...(state === 'ended' ? { cancelledAt: null, endsAt: { lte: now } } : {}),
          ...(after
            ? { OR: [{ startsAt: { lt: new Date(after[0]) } }, { startsAt: new Date(after[0]), id: { lt: after[1] } }] }
            : {}),
        },
        orderBy: [{ startsAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
      }),
    );
    return toPage(rows.map(toRecord), limit, 'budgetOverride', (o) => [o.startsAt.toISOString(), o.id]);
  }
}
