/** Model profiles: GPUs per replica, memory, allowed GPU products and predicted power. */
import type { PrismaClient } from '../generated/prisma/client';
import { ConstraintViolationError, mapped } from '../errors';
import { existingById } from '../ids';
import { lockedById } from '../row-locks';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from '../pagination';
import { transaction, type AuditContext, type Tx } from '../transactions';
import { appendAuditEvent } from './audit-log';

export interface ModelProfileRecord {
  readonly id: string;
  readonly name: string;
  readonly gpusPerReplica: number;
  readonly gpuMemoryMiB: number;
  /** GPU product names; empty means any product. */
  readonly allowedProducts: string[];
  readonly predictedWattsPerGpu: number;
  readonly cappedPowerLimitWatts: number | null;
  readonly predictedWattsPerGpuCapped: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ModelProfileInput {
  readonly name: string;
  readonly gpusPerReplica: number;
  readonly gpuMemoryMiB: number;
  readonly allowedProducts?: string[];
  readonly predictedWattsPerGpu: number;
  readonly cappedPowerLimitWatts?: number | null;
  readonly predictedWattsPerGpuCapped?: number | null;
}

const withProducts = { allowedProducts: { include: { product: { select: { name: true } } } } } as const;

type Row = {
  id: string;
  name: string;
  gpusPerReplica: number;
  gpuMemoryMiB: number;
  predictedWattsPerGpu: number;
  cappedPowerLimitWatts: number | null;
  predictedWattsPerGpuCapped: number | null;
  createdAt: Date;
  updatedAt: Date;
  allowedProducts: Array<{ product: { name: string } }>;
};

function toRecord(row: Row): ModelProfileRecord {
  return {
    id: row.id,
    name: row.name,
    gpusPerReplica: row.gpusPerReplica,
    gpuMemoryMiB: row.gpuMemoryMiB,
    allowedProducts: row.allowedProducts.map((p) => p.product.name).sort(),
    predictedWattsPerGpu: row.predictedWattsPerGpu,
    cappedPowerLimitWatts: row.cappedPowerLimitWatts,
    predictedWattsPerGpuCapped: row.predictedWattsPerGpuCapped,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Product ids for names, or a ConstraintViolationError naming the first unknown one. */
async function productIds(tx: Tx, names: readonly string[]): Promise<string[]> {
  const unique = [...new Set(names)];
  const products = await tx.gpuProduct.findMany({ where: { name: { in: unique } }, select: { id: true, name: true } });
  const byName = new Map(products.map((p) => [p.name, p.id]));
  const missing = names.findIndex((name) => !byName.has(name));
  if (missing >= 0) {
    throw new ConstraintViolationError(
      `unknown GPU product ${JSON.stringify(names[missing])}`,
      undefined,
      `allowedProducts[${missing}]`,
    );
  }
  return unique.map((name) => byName.get(name) as string);
}

export class ModelProfileRepository {
  constructor(private readonly prisma: PrismaClient) {}

  create(input: ModelProfileInput, audit: AuditContext): Promise<ModelProfileRecord> {
    return transaction(this.prisma, async (tx) => {
      const ids = await productIds(tx, input.allowedProducts ?? []);
      const row = await tx.modelProfile.create({
        data: {
          name: input.name,
          gpusPerReplica: input.gpusPerReplica,
          gpuMemoryMiB: input.gpuMemoryMiB,
          predictedWattsPerGpu: input.predictedWattsPerGpu,
          cappedPowerLimitWatts: input.cappedPowerLimitWatts ?? null,
          predictedWattsPerGpuCapped: input.predictedWattsPerGpuCapped ?? null,
          allowedProducts: { create: ids.map((productId) => ({ productId })) },
        },
        include: withProducts,
      });
      await appendAuditEvent(tx, {
        actor: audit.actor,
        action: 'modelProfile.create',
        target: `modelProfile/${row.id}`,
        details: { ...input },
      });
      return toRecord(row);
    });
  }

  /**
   * Fields left undefined keep their value; `allowedProducts` replaces the whole list. The
   * profile row is locked first: concurrent replacements of the list then run one after the
   * other instead of inserting the same (profile, product) pairs at once.
   */
  update(id: string, changes: Partial<ModelProfileInput>, audit: AuditContext): Promise<ModelProfileRecord> {
    return transaction(this.prisma, async (tx) => {
      const existing = await lockedById(tx, 'model_profiles', 'model profile', id, () =>
        tx.modelProfile.findUnique({ where: { id }, include: withProducts }),
      );
      if (changes.allowedProducts) {
        const ids = await productIds(tx, changes.allowedProducts);
        await tx.modelProfileProduct.deleteMany({ where: { profileId: id } });
        await tx.modelProfileProduct.createMany({ data: ids.map((productId) => ({ profileId: id, productId })) });
      }
      const row = await tx.modelProfile.update({
        where: { id },
        data: {
          name: changes.name,
          gpusPerReplica: changes.gpusPerReplica,
          gpuMemoryMiB: changes.gpuMemoryMiB,
          predictedWattsPerGpu: changes.predictedWattsPerGpu,
          cappedPowerLimitWatts: changes.cappedPowerLimitWatts,
          predictedWattsPerGpuCapped: changes.predictedWattsPerGpuCapped,
        },
        include: withProducts,
      });
      await appendAuditEvent(tx, {
        actor: audit.actor,
        action: 'modelProfile.update',
        target: `modelProfile/${id}`,
        details: { before: toRecord(existing), changes, after: toRecord(row) },
      });
      return toRecord(row);
    });
  }

  /** Refused (ConflictError) while a deployment uses the profile. */
  delete(id: string, audit: AuditContext): Promise<void> {
    return transaction(this.prisma, async (tx) => {
      const existing = await lockedById(tx, 'model_profiles', 'model profile', id, () =>
        tx.modelProfile.findUnique({ where: { id } }),
      );
      await tx.modelProfile.delete({ where: { id } });
      await appendAuditEvent(tx, {
        actor: audit.actor,
        action: 'modelProfile.delete',
        target: `modelProfile/${id}`,
        details: { name: existing.name },
      });
    });
  }

  async get(id: string): Promise<ModelProfileRecord> {
    const row = await existingById('model profile', id, () =>
      mapped(() => this.prisma.modelProfile.findUnique({ where: { id }, include: withProducts })),
    );
    return toRecord(row);
  }

  async findByName(name: string): Promise<ModelProfileRecord | undefined> {
    const row = await mapped(() => this.prisma.modelProfile.findUnique({ where: { name }, include: withProducts }));
    return row ? toRecord(row) : undefined;
  }

  /** Ordered by name. */
  async list(request: PageRequest = {}): Promise<Page<ModelProfileRecord>> {
    const limit = pageLimit(request);
    const after = request.cursor ? decodeCursor<[string]>('modelProfile', request.cursor, ['string'])[0] : undefined;
    const rows = await mapped(() =>
      this.prisma.modelProfile.findMany({
        where: after ? { name: { gt: after } } : {},
        orderBy: { name: 'asc' },
        take: limit + 1,
        include: withProducts,
      }),
    );
    return toPage(rows.map(toRecord), limit, 'modelProfile', (p) => [p.name]);
  }
}
