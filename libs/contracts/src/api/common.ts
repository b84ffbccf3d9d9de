/** Building blocks shared by the REST DTOs: identifiers, enums, cursor pagination. */
import { z } from 'zod';

export const API_PREFIX = '/api/v1';

export const uuidSchema = z.uuid({ message: 'must be a UUID' });

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export const HEALTH_STATES = ['healthy', 'degraded', 'unhealthy', 'unknown'] as const;
export const healthSchema = z.enum(HEALTH_STATES);

export const SCOPE_KINDS = ['site', 'hall', 'row', 'rack'] as const;
export const scopeKindSchema = z.enum(SCOPE_KINDS);

export const timestampSchema = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });

/** Names an admin types (tenants, profiles, tokens): printable, bounded, no leading/trailing space. */
export const displayNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^\S(.*\S)?$/, 'must not start or end with whitespace');

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** Query parameters arrive as strings: `?limit=50` is coerced, `?limit=abc` is a 400 naming `limit`. */
export const limitQuerySchema = z
  .string()
  .regex(/^\d+$/, `must be an integer between 1 and ${MAX_PAGE_SIZE}`)
  .transform(Number)
  .pipe(
    z
      .int()
      .min(1, `must be an integer between 1 and ${MAX_PAGE_SIZE}`)
      .max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`),
  )
  .optional()
  .meta({ description: `Page size, 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE})` });

/** Opaque position returned as `nextCursor` by the previous page. */
export const cursorQuerySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(512, 'is not a cursor returned by this API')
  .optional()
  .meta({ description: 'The nextCursor of the previous page' });

/** `?flag=true` / `?flag=false`; anything else is a 400 naming the parameter. */
export const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const paginationQueryShape = { limit: limitQuerySchema, cursor: cursorQuerySchema };

/** `{ items, nextCursor }`: nextCursor is null on the last page. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const idParamsSchema = z.strictObject({ id: uuidSchema });

/** Largest value of a PostgreSQL int4 column (watts, MiB, counts are stored as int4). */
export const INT4_MAX = 2_147_483_647;

export function boundedInt(min: number, max: number = INT4_MAX) {
  return z.int({ message: 'must be an integer' }).min(min, `must be >= ${min}`).max(max, `must be <= ${max}`);
}

/** A PATCH body: the given fields, at least one of them. */
export function patchOf<T extends z.ZodRawShape>(shape: T) {
  return z
    .strictObject(shape)
    .partial()
    .refine((value) => Object.values(value).some((v) => v !== undefined), {
      message: 'must change at least one field',
    });
}
