import { z } from 'zod';
import { boundedInt, paginationQueryShape, pageSchema, timestampSchema, uuidSchema } from './common';

export const BUDGET_OVERRIDE_STATES = ['scheduled', 'active', 'ended', 'cancelled'] as const;

/** Longest window of one override; a longer cut is a capacity change, not a grid event. */
const MAX_WINDOW_MS = 366 * 24 * 3600 * 1000;

export const budgetOverrideCreateSchema = z
  .strictObject({
    scopeId: uuidSchema,
    watts: boundedInt(0).meta({ description: 'The scope budget during the window, W (0 stops all new work there)' }),
    startsAt: timestampSchema,
    endsAt: timestampSchema,
    reason: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
  })
  .superRefine((value, ctx) => {
    const span = Date.parse(value.endsAt) - Date.parse(value.startsAt);
    if (!(span > 0)) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
    else if (span > MAX_WINDOW_MS)
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be at most 366 days after startsAt' });
  });

export const budgetOverrideSchema = z.object({
  id: uuidSchema,
  scopeId: uuidSchema,
  watts: z.int(),
  startsAt: timestampSchema,
  endsAt: timestampSchema,
  reason: z.string(),
  createdBy: z.string().nullable(),
  createdAt: timestampSchema,
  cancelledAt: timestampSchema.nullable(),
  state: z.enum(BUDGET_OVERRIDE_STATES),
});

export const budgetOverrideListQuerySchema = z.strictObject({
  scopeId: uuidSchema.optional(),
  state: z.enum(BUDGET_OVERRIDE_STATES).optional(),
  ...paginationQueryShape,
});
export const budgetOverridePageSchema = pageSchema(budgetOverrideSchema);
