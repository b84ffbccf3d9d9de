import { z } from 'zod';
import {
  boundedInt,
  displayNameSchema,
  paginationQueryShape,
  pageSchema,
  patchOf,
  timestampSchema,
  uuidSchema,
} from './common';

const quotaFields = {
  /** null or absent: no GPU quota. */
  gpuQuota: boundedInt(0)
    .nullable()
    .meta({ description: 'Most GPUs the tenant may hold (fractional shares count); null: unlimited' }),
  wattsQuota: boundedInt(0)
    .nullable()
    .meta({ description: 'Most predicted watts the tenant may draw; null: unlimited' }),
};

export const tenantCreateSchema = z.strictObject({
  name: displayNameSchema,
  gpuQuota: quotaFields.gpuQuota.optional(),
  wattsQuota: quotaFields.wattsQuota.optional(),
});

export const tenantUpdateSchema = patchOf({ name: displayNameSchema, ...quotaFields });

export const tenantUsageSchema = z.object({
  gpus: z.number().meta({ description: 'GPUs held now (shares summed, 1.5 = one and a half)' }),
  predictedWatts: z.int(),
  allocations: z.int(),
});

export const tenantSchema = z.object({
  id: uuidSchema,
  name: z.string(),
  gpuQuota: z.int().nullable(),
  wattsQuota: z.int().nullable(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  usage: tenantUsageSchema.optional(),
});

export const tenantListQuerySchema = z.strictObject({ ...paginationQueryShape });
export const tenantPageSchema = pageSchema(tenantSchema);

export type TenantCreate = z.infer<typeof tenantCreateSchema>;
export type TenantUpdate = z.infer<typeof tenantUpdateSchema>;
export type TenantDto = z.infer<typeof tenantSchema>;
