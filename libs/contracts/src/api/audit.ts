import { z } from 'zod';
import { paginationQueryShape, pageSchema, timestampSchema } from './common';

export const auditEventSchema = z.object({
  id: z.string().meta({ description: 'Increasing with insertion' }),
  at: timestampSchema,
  actor: z.string().meta({ description: 'Who: `token:<name>:<id>`, or `system:<part>`' }),
  action: z.string().meta({ description: '`<aggregate>.<verb>`, e.g. `tenant.create`' }),
  target: z.string(),
  details: z.unknown(),
});

export const auditListQuerySchema = z.strictObject({
  actor: z.string().min(1).max(300).optional(),
  action: z.string().min(1).max(100).optional(),
  since: timestampSchema.optional().meta({ description: 'Inclusive lower bound of `at`' }),
  until: timestampSchema.optional().meta({ description: 'Exclusive upper bound of `at`' }),
  ...paginationQueryShape,
});
export const auditPageSchema = pageSchema(auditEventSchema);
