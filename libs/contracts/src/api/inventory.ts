import { z } from 'zod';
import { booleanQuery, healthSchema, paginationQueryShape, pageSchema, timestampSchema, uuidSchema } from './common';

export const gpuSchema = z.object({
  id: uuidSchema,
  uuid: z.string(),
  nodeId: uuidSchema,
  nodeName: z.string(),
  index: z.int(),
  product: z.string(),
  memoryMiB: z.int(),
  tdpWatts: z.int(),
  minPowerLimitWatts: z.int(),
  maxPowerLimitWatts: z.int(),
  health: healthSchema,
  allocatedMilli: z.int().meta({ description: 'Allocated share, 0..1000 milli-GPU' }),
});

export const nodeSchema = z.object({
  id: uuidSchema,
  name: z.string().meta({ description: 'Kubernetes node name' }),
  rackId: uuidSchema,
  rackPath: z.string(),
  cpuMilli: z.int(),
  memoryMiB: z.int(),
  idleWatts: z.int(),
  maxWatts: z.int(),
  labels: z.record(z.string(), z.string()),
  schedulable: z.boolean(),
  health: healthSchema,
  lastSeenAt: timestampSchema.nullable(),
  gpus: z.array(gpuSchema),
});

const productQuery = z.string().min(1).max(63).meta({ description: 'GPU product name, e.g. NVIDIA-H200' });

export const nodeListQuerySchema = z.strictObject({
  scopeId: uuidSchema.optional().meta({ description: 'Only nodes under this scope (site, hall, row or rack)' }),
  product: productQuery.optional(),
  health: healthSchema.optional(),
  schedulable: booleanQuery.optional(),
  ...paginationQueryShape,
});

export const gpuListQuerySchema = z.strictObject({
  scopeId: uuidSchema.optional().meta({ description: 'Only GPUs under this scope' }),
  node: z.string().min(1).max(253).optional().meta({ description: 'Only GPUs of this node (name)' }),
  product: productQuery.optional(),
  health: healthSchema.optional(),
  available: booleanQuery.optional().meta({ description: 'true: GPUs with free share; false: fully allocated ones' }),
  ...paginationQueryShape,
});

export const nodeParamsSchema = z.strictObject({
  name: z.string().min(1).max(253).meta({ description: 'Node id or Kubernetes node name' }),
});

export const nodePageSchema = pageSchema(nodeSchema);
export const gpuPageSchema = pageSchema(gpuSchema);

export const gpuProductSchema = z.object({
  id: uuidSchema,
  name: z.string(),
  memoryMiB: z.int(),
  tdpWatts: z.int(),
  minPowerLimitWatts: z.int(),
  maxPowerLimitWatts: z.int(),
});
export const gpuProductListSchema = z.object({ items: z.array(gpuProductSchema) });
