/**
 * Values that a JSON Schema (the OpenAPI 3.1 dialect the app publishes) mostly accepts: the
 * starting point that hostile values are then planted into, so that a request gets past the
 * first check and its other fields reach the deeper ones.
 *
 *   valuesOf({ type: 'object', properties: { n: { type: 'integer', maximum: 9 } } }, doc)
 */
import fc from 'fast-check';

export type JsonSchema = Record<string, unknown>;

/** Arrays stay short and nesting shallow: the hostile part is planted afterwards. */
const MAX_ITEMS = 3;
const MAX_DEPTH = 8;

export function valuesOf(schema: JsonSchema, document: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if (depth > MAX_DEPTH) return fc.constant(null);
  const ref = schema.$ref;
  if (typeof ref === 'string') return valuesOf(resolveRef(ref, document), document, depth + 1);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (alternatives) return fc.oneof(...alternatives.map((s) => valuesOf(s, document, depth + 1)));
  const type = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string | undefined];
  return fc.oneof(...type.map((t) => valuesOfType(t, schema, document, depth)));
}

function valuesOfType(
  type: string | undefined,
  schema: JsonSchema,
  document: JsonSchema,
  depth: number,
): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return strings(schema);
    case 'integer':
      return fc.integer({ min: lowerBound(schema, 1) ?? -1000, max: upperBound(schema, 1) ?? 1_000_000 });
    case 'number':
      return fc.double({
        min: lowerBound(schema, 0.001) ?? -1000,
        max: upperBound(schema, 0.001) ?? 1_000_000,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = (schema.items as JsonSchema | undefined) ?? {};
      const minLength = Math.min((schema.minItems as number | undefined) ?? 0, MAX_ITEMS);
      const maxLength = Math.max(minLength, Math.min((schema.maxItems as number | undefined) ?? MAX_ITEMS, MAX_ITEMS));
      return fc.array(valuesOf(items, document, depth + 1), { minLength, maxLength });
    }
    case 'object':
      return objects(schema, document, depth);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function objects(schema: JsonSchema, document: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = (schema.required ?? []) as string[];
  if (Object.keys(properties).length === 0) {
    // A map (`additionalProperties` or `propertyNames`), e.g. node labels.
    const values =
      typeof schema.additionalProperties === 'object'
        ? valuesOf(schema.additionalProperties as JsonSchema, document, depth + 1)
        : fc.string({ maxLength: 8 });
    const keys = schema.propertyNames ? strings(schema.propertyNames as JsonSchema) : fc.string({ maxLength: 8 });
    return fc.dictionary(keys, values, { maxKeys: MAX_ITEMS });
  }
  const record = Object.fromEntries(
    Object.entries(properties).map(([key, property]) => [key, valuesOf(property, document, depth + 1)]),
  );
  return fc.record(record, { requiredKeys: required.filter((key) => key in properties) });
}

function strings(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = (schema.minLength as number | undefined) ?? 0;
  const maxLength = Math.min((schema.maxLength as number | undefined) ?? 40, 300);
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'date-time') {
    return fc
      .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString());
  }
  if (typeof schema.pattern === 'string') {
    try {
      return fc
        .stringMatching(new RegExp(schema.pattern))
        .filter((s) => s.length >= minLength && s.length <= maxLength);
    } catch {
      // A pattern fast-check cannot generate from: plain strings, which the schema may refuse.
    }
  }
  return fc.string({ minLength, maxLength: Math.max(minLength, maxLength) });
}

function lowerBound(schema: JsonSchema, step: number): number | undefined {
  if (typeof schema.exclusiveMinimum === 'number') return schema.exclusiveMinimum + step;
  return typeof schema.minimum === 'number' ? schema.minimum : undefined;
}

function upperBound(schema: JsonSchema, step: number): number | undefined {
  if (typeof schema.exclusiveMaximum === 'number') return schema.exclusiveMaximum - step;
  return typeof schema.maximum === 'number' ? schema.maximum : undefined;
}

/** `#/components/schemas/X` within the document. */
export function resolveRef(ref: string, document: JsonSchema): JsonSchema {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], document) as JsonSchema;
}
