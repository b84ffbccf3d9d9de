/**
 * The integers of topology, tenant, budget override and model profile bodies are stored in int4
 * columns; bounding them in the body schemas (so that 2^31 is a 422, not a 500 from the
 * database) is another part of issue 12. Until an operation's body schema bounds every integer
 * to int32, its requests carrying a larger integer are left out of the fuzz run; once it does,
 * this leaves out nothing, and the fuzz tier holds those requests to the same rules as any.
 */
import { type Operation } from './operation-requests';
import { resolveRef, type JsonSchema } from './schema-arbitrary';

const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
const AREAS = ['/api/v1/topology', '/api/v1/tenants', '/api/v1/budget-overrides', '/api/v1/model-profiles'];

export function awaitsIntColumnBounds(operation: Operation, document: JsonSchema, body: unknown): boolean {
  if (typeof body !== 'string' || !AREAS.some((area) => operation.path.startsWith(area))) return false;
  if (!Object.values(operation.bodies).some((schema) => allowsBeyondInt32(schema, document, new Set()))) return false;
  return (body.match(/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g) ?? []).some((token) => {
    const value = Number(token);
    return Number.isFinite(value) && (value > INT32_MAX || value < INT32_MIN);
  });
}

function allowsBeyondInt32(schema: unknown, document: JsonSchema, seen: Set<string>): boolean {
  if (Array.isArray(schema)) return schema.some((item) => allowsBeyondInt32(item, document, seen));
  if (typeof schema !== 'object' || schema === null) return false;
  const node = schema as JsonSchema;
  if (typeof node.$ref === 'string') {
    if (seen.has(node.$ref)) return false;
    seen.add(node.$ref);
    return allowsBeyondInt32(resolveRef(node.$ref, document), document, seen);
  }
  if (node.type === 'integer') {
    const bound = (...values: unknown[]) => values.find((v): v is number => typeof v === 'number');
    const max = bound(node.maximum, node.exclusiveMaximum) ?? Infinity;
    const min = bound(node.minimum, node.exclusiveMinimum) ?? -Infinity;
    if (max > INT32_MAX || min < INT32_MIN) return true;
  }
  return Object.values(node).some((child) => allowsBeyondInt32(child, document, seen));
}
