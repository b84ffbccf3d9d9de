import { z } from 'zod';
import { boundedInt, scopeKindSchema, timestampSchema, uuidSchema } from './common';

export const activeOverrideSchema = z.object({
  id: uuidSchema,
  watts: z.int(),
  endsAt: timestampSchema,
  reason: z.string(),
});

export const scopeSummarySchema = z.object({
  id: uuidSchema,
  kind: scopeKindSchema,
  name: z.string(),
  path: z.string().meta({ description: '`site/hall/row/rack` names joined by "/"' }),
  parentId: uuidSchema.nullable(),
  capacityWatts: z.int(),
  oversubscriptionRatio: z.number(),
  activeOverride: activeOverrideSchema.nullable().meta({ description: 'The lowest active budget override, if any' }),
  effectiveBudgetWatts: z
    .int()
    .meta({ description: 'floor(capacity x oversubscription), lowered by an active override' }),
  allocatedWatts: z.int().meta({ description: 'Predicted watts of everything placed inside the scope' }),
  nodes: z.int(),
  gpusTotal: z.int(),
  gpusAllocatedMilli: z.int().meta({ description: 'Allocated GPU shares in milli-GPU (1000 = one whole GPU)' }),
  gpusBusy: z.int().meta({ description: 'GPUs with any allocation' }),
});

export interface ScopeTreeDto extends z.infer<typeof scopeSummarySchema> {
  children: ScopeTreeDto[];
}

export const scopeTreeNodeSchema: z.ZodType<ScopeTreeDto> = scopeSummarySchema
  .extend({
    get children() {
      return z.array(scopeTreeNodeSchema);
    },
  })
  .meta({ id: 'ScopeTreeNode' });

export const scopeTreeSchema = z.object({ items: z.array(scopeTreeNodeSchema) });

export const scopeDetailSchema = scopeSummarySchema.extend({ children: z.array(scopeSummarySchema) });

export const scopeUpdateSchema = z
  .strictObject({
    capacityWatts: boundedInt(1).optional(),
    oversubscriptionRatio: z.number().min(1, 'must be >= 1.0').max(10, 'must be <= 10').optional(),
  })
  .refine((value) => value.capacityWatts !== undefined || value.oversubscriptionRatio !== undefined, {
    message: 'must change capacityWatts or oversubscriptionRatio',
  });
