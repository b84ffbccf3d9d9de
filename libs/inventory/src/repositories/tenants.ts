/** Tenants and their quotas (GPUs, watts), with what they use now. */
import type { PrismaClient, Tenant } from '../generated/prisma/client';
import { mapped } from '../errors';
import { existingById } from '../ids';
import { lockedById } from '../row-locks';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from '../pagination';
import { transaction, type AuditContext } from '../transactions';
import { appendAuditEvent } from './audit-log';

export interface TenantRecord {
  readonly id: string;
  readonly name: string;
  /** null: unlimited. */
  readonly gpuQuota: number | null;
  readonly wattsQuota: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface TenantInput {
  readonly name: string;
  readonly gpuQuota?: number | null;
  readonly wattsQuota?: number | null;
}

export interface TenantUsage {
  /** Sum of allocated shares, in GPUs (1.5 = one and a half). */
  readonly gpus: number;
  readonly predictedWatts: number;
  readonly allocations: number;
}

function toRecord(row: Tenant): TenantRecord {
  return {
    id: row.id,
    name: row.name,
    gpuQuota: row.gpuQuota,
    wattsQuota: row.wattsQuota,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export class TenantRepository {
  constructor(private readonly prisma: PrismaClient) {}

  create(input: TenantInput, audit: AuditContext): Promise<TenantRecord> {
    return transaction(this.prisma, async (tx) => {
      const row = await tx.tenant.create({
        data: { name: input.name, gpuQuota: input.gpuQuota ?? null, wattsQuota: input.wattsQuota ?? null },
      });
      await appendAuditEvent(tx, {
        actor: audit.actor,
        action: 'tenant.create',
        target: `tenant/${row.id}`,
        details: { ...input },
      });
      return toRecord(row);
    });
  }

  /** Fields left undefined keep their value; null clears a quota. */
  update(id: string, changes: Partial<TenantInput>, audit: AuditContext): Promise<TenantRecord> {
    return transaction(this.prisma, async (tx) => {
      const existing = await lockedById(tx, 'tenants', 'tenant', id, () => tx.tenant.findUnique({ where: { id } }));
      const row = await tx.tenant.update({
        where: { id },
        data: { name: changes.name, gpuQuota: changes.gpuQuota, wattsQuota: changes.wattsQuota },
      });
      await appendAuditEvent(tx, {
        actor: audit.actor,
        action: 'tenant.update',
        target: `tenant/${id}`,
        details: { before: toRecord(existing), changes, after: toRecord(row) },
      });
      return toRecord(row);
    });
  }

  /** Refused (ConflictError) while deployments or allocations belong to the tenant. */
  delete(id: string, audit: AuditContext): Promise<void> {
    return transaction(this.prisma, async (tx) => {
      const existing = await lockedById(tx, 'tenants', 'tenant', id, () => tx.tenant.findUnique({ where: { id } }));
      await tx.tenant.delete({ where: { id } });
      await appendAuditEvent(tx, {
        actor: audit.actor,
        action: 'tenant.delete',
        target: `tenant/${id}`,
        details: { name: existing.name },
      });
    });
  }

  async get(id: string): Promise<TenantRecord> {
    const row = await existingById('tenant', id, () => mapped(() => this.prisma.tenant.findUnique({ where: { id } })));
    return toRecord(row);
  }

  async findByName(name: string): Promise<TenantRecord | undefined> {
    const row = await mapped(() => this.prisma.tenant.findUnique({ where: { name } }));
    return row ? toRecord(row) : undefined;
  }

  /** Ordered by name. */
  async list(request: PageRequest = {}): Promise<Page<TenantRecord>> {
    const limit = pageLimit(request);
    const after = request.cursor ? decodeCursor<[string]>('tenant', request.cursor, ['string'])[0] : undefined;
    const rows = await mapped(() =>
      this.prisma.tenant.findMany({
        where: after ? { name: { gt: after } } : {},
        orderBy: { name: 'asc' },
        take: limit + 1,
      }),
    );
    return toPage(rows.map(toRecord), limit, 'tenant', (t) => [t.name]);
  }

  async usage(id: string): Promise<TenantUsage> {
    await this.get(id);
    const [row] = await mapped(
      () =>
        this.prisma.$queryRaw<Array<{ milli: bigint | null; watts: bigint | null; allocations: bigint }>>`
        SELECT (SELECT sum(ag.share_milli) FROM allocation_gpus ag JOIN allocations a ON a.id = ag.allocation_id WHERE a.tenant_id = ${id}::uuid) AS milli,
               sum(a.predicted_watts) AS watts, count(*) AS allocations
        FROM allocations a WHERE a.tenant_id = ${id}::uuid`,
    );
    return {
      gpus: Number(row.milli ?? 0n) / 1000,
      predictedWatts: Number(row.watts ?? 0n),
      allocations: Number(row.allocations),
    };
  }
}
