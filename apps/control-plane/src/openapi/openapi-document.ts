import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, PROBLEM_KINDS, problemSchema } from '@switchyard/contracts';
import { JSON_MEDIA_TYPE, type RouteSpec } from '../http/route-spec';

type JsonSchema = Record<string, unknown>;

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

/**
 * The OpenAPI 3.1 document of the API, generated from the same RouteSpecs and zod schemas that
 * route and validate requests. Named schemas (zod `.meta({ id })`) become components.
 */
export function buildOpenApiDocument(routes: readonly RouteSpec[], info: OpenApiInfo): Record<string, unknown> {
  const components: Record<string, JsonSchema> = {};
  const toSchema = (schema: z.ZodType, io: 'input' | 'output') => jsonSchema(schema, io, components);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route, toSchema);
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (`switchyard token create`)' },
      },
    },
  };
}

function operation(route: RouteSpec, toSchema: (schema: z.ZodType, io: 'input' | 'output') => JsonSchema) {
  const parameters = [
    ...fieldParameters(route.params, 'path', toSchema),
    ...fieldParameters(route.query, 'query', toSchema),
  ];
  const responses: Record<string, unknown> = {
    [route.success.status]: {
      description: route.success.description,
      ...(route.success.schema
        ? {
            content: {
              [route.success.mediaType ?? JSON_MEDIA_TYPE]: { schema: toSchema(route.success.schema, 'output') },
            },
          }
        : {}),
    },
  };
  const problemStatuses = new Set<number>([400, 500, ...(route.problems ?? [])]);
  if (route.access !== 'public') [401, 403].forEach((s) => problemStatuses.add(s));
  if (route.body) [413, 415, 422].forEach((s) => problemStatuses.add(s));
  const problem = { content: { [PROBLEM_CONTENT_TYPE]: { schema: toSchema(problemSchema, 'output') } } };
  for (const status of [...problemStatuses].sort()) {
    const kinds = Object.entries(PROBLEM_KINDS).filter(([, k]) => k.status === status);
    responses[status] = { description: kinds.map(([, k]) => k.title).join('; ') || 'Problem', ...problem };
  }
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(route.access === 'public' ? { security: [] } : { security: [{ bearer: [] }], 'x-required-role': route.access }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: Object.fromEntries(
              (route.bodyMediaTypes ?? [JSON_MEDIA_TYPE]).map((type) => [
                type,
                { schema: toSchema(route.body!, 'input') },
              ]),
            ),
          },
        }
      : {}),
    responses,
  };
}

function fieldParameters(
  schema: z.ZodType | undefined,
  location: 'path' | 'query',
  toSchema: (schema: z.ZodType, io: 'input' | 'output') => JsonSchema,
) {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => {
    const fieldSchema = toSchema(field, 'input');
    const { description, ...rest } = fieldSchema;
    return {
      name,
      in: location,
      required: location === 'path' || !field.safeParse(undefined).success,
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

/** zod -> JSON Schema 2020-12 (the dialect of OpenAPI 3.1); `$defs` are hoisted into components. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>): JsonSchema {
  const converted = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  const { $schema: _dialect, $defs, ...rest } = converted;
  const rewrite = (value: unknown) =>
    JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
  for (const [name, definition] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
    components[name] = rewrite(definition);
  }
  return rewrite(rest);
}
