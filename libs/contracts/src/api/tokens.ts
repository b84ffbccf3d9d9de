import { z } from 'zod';
import { displayNameSchema, roleSchema, timestampSchema, uuidSchema } from './common';

export const tokenCreateSchema = z.strictObject({
  name: displayNameSchema.meta({ description: 'Who or what uses the token, e.g. "ci-pipeline"' }),
  role: roleSchema,
});

export const tokenSchema = z.object({
  id: uuidSchema,
  name: z.string(),
  role: roleSchema,
  createdAt: timestampSchema,
  revokedAt: timestampSchema.nullable(),
  lastUsedAt: timestampSchema.nullable(),
});

/** Only the create answer carries the secret; it cannot be read again. */
export const createdTokenSchema = tokenSchema.extend({
  token: z.string().meta({ description: 'The bearer secret, shown once' }),
});

export const tokenListQuerySchema = z.strictObject({
  includeRevoked: z.enum(['true', 'false']).optional().meta({ description: 'Default true' }),
});
export const tokenListSchema = z.object({ items: z.array(tokenSchema) });
