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

const productName = z.string().min(1, 'must not be empty').max(63, 'must be at most 63 characters');

const profileFields = {
  name: displayNameSchema.meta({ description: 'e.g. "vlm-33b" for a multimodal 33B model' }),
  gpusPerReplica: boundedInt(1, 64).meta({
    description: 'GPUs one replica needs (on one node, or a gang across nodes)',
  }),
  gpuMemoryMiB: boundedInt(0).meta({ description: 'GPU memory each of those GPUs must have, MiB' }),
  allowedProducts: z
    .array(productName)
    .max(64, 'must list at most 64 products')
    .meta({ description: 'GPU product names the model may run on; empty: any product' }),
  predictedWattsPerGpu: boundedInt(1, 100_000).meta({ description: 'Predicted draw per GPU at full power, W' }),
  cappedPowerLimitWatts: boundedInt(1, 100_000)
    .nullable()
    .meta({ description: 'GPU power limit under which the capped prediction holds, W; null: capping not modelled' }),
  predictedWattsPerGpuCapped: boundedInt(1, 100_000)
    .nullable()
    .meta({ description: 'Predicted draw per GPU under cappedPowerLimitWatts, W' }),
};

/** Capping is modelled by both numbers or neither, and a capped draw cannot exceed the uncapped one. */
function cappingConsistent(
  value: {
    cappedPowerLimitWatts?: number | null;
    predictedWattsPerGpuCapped?: number | null;
    predictedWattsPerGpu?: number;
  },
  ctx: z.core.$RefinementCtx,
) {
  const limit = value.cappedPowerLimitWatts ?? null;
  const capped = value.predictedWattsPerGpuCapped ?? null;
  if (
    (limit === null) !== (capped === null) &&
    value.cappedPowerLimitWatts !== undefined &&
    value.predictedWattsPerGpuCapped !== undefined
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['predictedWattsPerGpuCapped'],
      message: 'must be given together with cappedPowerLimitWatts (both or neither)',
    });
  }
  if (capped !== null && value.predictedWattsPerGpu !== undefined && capped > value.predictedWattsPerGpu) {
    ctx.addIssue({
      code: 'custom',
      path: ['predictedWattsPerGpuCapped'],
      message: 'must not exceed predictedWattsPerGpu',
    });
  }
}

export const modelProfileCreateSchema = z
  .strictObject({
    name: profileFields.name,
    gpusPerReplica: profileFields.gpusPerReplica,
    gpuMemoryMiB: profileFields.gpuMemoryMiB,
    allowedProducts: profileFields.allowedProducts.optional(),
    predictedWattsPerGpu: profileFields.predictedWattsPerGpu,
    cappedPowerLimitWatts: profileFields.cappedPowerLimitWatts.optional(),
    predictedWattsPerGpuCapped: profileFields.predictedWattsPerGpuCapped.optional(),
  })
  .superRefine((value, ctx) =>
    cappingConsistent(
      {
        ...value,
        cappedPowerLimitWatts: value.cappedPowerLimitWatts ?? null,
        predictedWattsPerGpuCapped: value.predictedWattsPerGpuCapped ?? null,
      },
      ctx,
    ),
  );

/** PATCH: the given fields change; null clears the capped prediction (both capping fields together). */
export const modelProfileUpdateSchema = patchOf(profileFields).superRefine((value, ctx) =>
  cappingConsistent(value, ctx),
);

export const modelProfileSchema = z.object({
  id: uuidSchema,
  name: z.string(),
  gpusPerReplica: z.int(),
  gpuMemoryMiB: z.int(),
  allowedProducts: z.array(z.string()),
  predictedWattsPerGpu: z.int(),
  cappedPowerLimitWatts: z.int().nullable(),
  predictedWattsPerGpuCapped: z.int().nullable(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});

export const modelProfileListQuerySchema = z.strictObject({ ...paginationQueryShape });
export const modelProfilePageSchema = pageSchema(modelProfileSchema);
