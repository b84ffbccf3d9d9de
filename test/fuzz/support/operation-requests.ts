/**
 * Malformed requests for one operation of the OpenAPI document, built from its own parameters
 * and request body schema: a plausible request with one or more hostile parts planted in it.
 */
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { DEFAULT_BODY_LIMIT_BYTES } from '../../../apps/control-plane/src/http/route-spec';
import { hostileParameter, hostileValue, rawPathSegment, rawQueryString, unknownKey } from './hostile-values';
import { JsonEntries, RawJson, toJsonText } from './json-text';
import { encodeSegment } from './raw-http';
import { valuesOf, type JsonSchema } from './schema-arbitrary';

export interface Operation {
  readonly operationId: string;
  readonly method: string;
  /** OpenAPI path template, e.g. `/api/v1/tenants/{id}`. */
  readonly path: string;
  readonly parameters: ReadonlyArray<{ name: string; in: string; schema: JsonSchema }>;
  /** Media type -> body schema; empty when the operation takes no body. */
  readonly bodies: Readonly<Record<string, JsonSchema>>;
  /** The statuses it documents, e.g. `['200', '400', '503']`. */
  readonly statuses: readonly string[];
}

export interface FuzzRequest {
  readonly method: string;
  readonly url: string;
  readonly contentType?: string;
  readonly body?: string | Buffer;
}

/** Every operation of an OpenAPI document, with its `$ref`s left for `valuesOf` to resolve. */
export function operationsOf(document: JsonSchema): Operation[] {
  const paths = document.paths as Record<string, Record<string, JsonSchema>>;
  return Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const content = ((op.requestBody as JsonSchema | undefined)?.content ?? {}) as Record<string, JsonSchema>;
      return {
        operationId: op.operationId as string,
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []) as Operation['parameters'],
        bodies: Object.fromEntries(Object.entries(content).map(([type, media]) => [type, media.schema as JsonSchema])),
        statuses: Object.keys(op.responses ?? {}),
      };
    }),
  );
}

/**
 * Requests for `operation`; `known` holds values the API itself gave out, per parameter name:
 * ids of existing rows for path parameters (so that some requests reach a real row and its write
 * path) and page cursors, which are then also tampered with. Most requests corrupt
 * one part (path, query or body) and keep the others plausible, so that each part is reached.
 */
export function requestsFor(
  operation: Operation,
  document: JsonSchema,
  known: Readonly<Record<string, readonly string[]>>,
): fc.Arbitrary<FuzzRequest> {
  const pathParams = operation.parameters.filter((p) => p.in === 'path');
  const segments = (hostile: boolean) =>
    fc.tuple(...pathParams.map((p) => pathSegment(p.schema, document, known[p.name] ?? [], hostile)));
  const request = (hostile: { path: boolean; query: boolean; body: boolean }) =>
    fc
      .tuple(
        segments(hostile.path),
        queryString(operation, document, known, hostile.query),
        bodyOf(operation, document, hostile.body),
      )
      .map(([values, query, body]) => {
        let path = operation.path;
        pathParams.forEach((p, i) => (path = path.replace(`{${p.name}}`, values[i])));
        return { method: operation.method, url: query ? `${path}?${query}` : path, ...body };
      });
  const hasBody = Object.keys(operation.bodies).length > 0;
  return fc.oneof(
    ...(pathParams.length > 0 ? [{ arbitrary: request({ path: true, query: false, body: false }), weight: 2 }] : []),
    { arbitrary: request({ path: false, query: true, body: false }), weight: 2 },
    { arbitrary: request({ path: false, query: false, body: true }), weight: hasBody ? 6 : 1 },
    { arbitrary: request({ path: true, query: true, body: true }), weight: 1 },
  );
}

function pathSegment(
  schema: JsonSchema,
  document: JsonSchema,
  known: readonly string[],
  hostile: boolean,
): fc.Arbitrary<string> {
  const encoded = (text: fc.Arbitrary<unknown>) => text.map((v) => encodeSegment(String(v)));
  const plausible = known.length > 0 ? encoded(fc.constantFrom(...known)) : encoded(valuesOf(schema, document));
  if (!hostile) return plausible;
  return fc.oneof(
    { arbitrary: plausible, weight: 1 },
    { arbitrary: encoded(valuesOf(schema, document)), weight: 1 },
    { arbitrary: encoded(hostileParameter), weight: 4 },
    { arbitrary: rawPathSegment, weight: 2 },
  );
}

function queryString(
  operation: Operation,
  document: JsonSchema,
  known: Readonly<Record<string, readonly string[]>>,
  hostile: boolean,
): fc.Arbitrary<string> {
  const pair = (name: string, value: unknown) => `${encodeSegment(name)}=${encodeSegment(String(value))}`;
  const declared = operation.parameters
    .filter((p) => p.in === 'query')
    .map((p) => {
      const seen = known[p.name] ?? [];
      const plausible = (seen.length > 0 ? fc.constantFrom(...seen) : valuesOf(p.schema, document)).map((v) =>
        pair(p.name, v),
      );
      const value = hostile
        ? fc.oneof(
            plausible,
            hostileParameter.map((v) => pair(p.name, v)),
            ...(seen.length > 0 ? [tamperedCursors(seen).map((v) => pair(p.name, v))] : []),
            fc
              .array(hostileParameter, { minLength: 2, maxLength: 3 })
              .map((vs) => vs.map((v) => pair(p.name, v)).join('&')),
          )
        : plausible;
      // A plausible request sets few parameters: each random one (a cursor above all) is likely refused.
      return fc.oneof({ arbitrary: fc.constant(undefined), weight: hostile ? 1 : 3 }, { arbitrary: value, weight: 1 });
    });
  const extra = hostile
    ? fc.option(
        fc.oneof(
          fc.tuple(unknownKey, hostileParameter).map(([k, v]) => pair(k, v)),
          rawQueryString,
        ),
        {
          nil: undefined,
          freq: 3,
        },
      )
    : fc.constant(undefined);
  return fc
    .tuple(fc.tuple(...declared), extra)
    .map(([parts, more]) => [...parts, more].filter((p): p is string => p !== undefined).join('&'));
}

/**
 * A cursor the API gave out (base64url JSON of the last item's sort key, see libs/inventory
 * pagination), re-encoded with hostile text planted in one of its strings: opaque to a client,
 * but not to one that looks.
 */
function tamperedCursors(cursors: readonly string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...cursors), fc.nat(), hostileParameter).map(([cursor, at, text]) => {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const strings = key.flatMap((v, i) => (typeof v === 'string' && i > 0 ? [i] : []));
    if (strings.length > 0) key[strings[at % strings.length]] = text;
    return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
  });
}

type Body = Pick<FuzzRequest, 'contentType' | 'body'>;

const WRONG_CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset="bogus-9"',
  'application/jsonx',
  'application/*',
  '*/*',
  'application/problem+json',
  ';;;',
];

function bodyOf(operation: Operation, document: JsonSchema, hostile: boolean): fc.Arbitrary<Body> {
  const types = Object.keys(operation.bodies);
  // Operations without a body still get one when the body is the part to corrupt: the parsers run before routing.
  if (types.length === 0) {
    if (!hostile) return fc.constant({});
    return hostileValue.map((v) => ({ contentType: 'application/json', body: toJsonText(v) }));
  }
  return fc.constantFrom(...types).chain((type) => {
    const syntax = type === 'application/json' ? 'json' : 'yaml';
    if (!hostile) {
      return valuesOf(operation.bodies[type], document).map((value) => ({
        contentType: type,
        body: syntax === 'json' ? toJsonText(value) : toYaml(value),
      }));
    }
    const text = documentText(operation.bodies[type], document, syntax);
    return fc.oneof(
      { arbitrary: text.map((body) => ({ contentType: type, body })), weight: 8 },
      {
        arbitrary: fc
          .tuple(text, fc.double({ min: 0, max: 1, noNaN: true }))
          .map(([body, at]) => ({ contentType: type, body: body.slice(0, Math.floor(body.length * at)) })),
        weight: 2,
      },
      {
        arbitrary: fc
          .tuple(text, fc.constantFrom(...WRONG_CONTENT_TYPES))
          .map(([body, t]) => ({ contentType: t, body })),
        weight: 2,
      },
      { arbitrary: fc.constant({}), weight: 1 },
      {
        arbitrary: fc.constantFrom<Body>(
          { contentType: type, body: `{"a":"${'x'.repeat(DEFAULT_BODY_LIMIT_BYTES)}"}` },
          { contentType: type, body: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0xff, 0xfe, 0x7d]) },
          { contentType: type, body: '' },
        ),
        weight: 1,
      },
    );
  });
}

type Path = (string | number)[];

/** A plausible document with something hostile planted, as JSON or YAML text. */
function documentText(schema: JsonSchema, document: JsonSchema, syntax: 'json' | 'yaml'): fc.Arbitrary<string> {
  return valuesOf(schema, document).chain((base) => {
    const everywhere = locations(base);
    const objects = everywhere.filter((p) => isObject(at(base, p)));
    const planted = (value: unknown) => (syntax === 'yaml' ? yamlValue(value) : value);
    const mutations: fc.Arbitrary<unknown>[] = [
      fc.constant(base),
      fc.tuple(fc.constantFrom(...everywhere), hostileValue).map(([path, value]) => plant(base, path, planted(value))),
    ];
    if (objects.length > 0) {
      mutations.push(
        fc
          .tuple(fc.constantFrom(...objects), unknownKey, hostileValue)
          .map(([path, key, value]) => plant(base, path, { ...(at(base, path) as object), [key]: planted(value) })),
      );
      const keyed = objects.filter((p) => Object.keys(at(base, p) as object).length > 0);
      if (syntax === 'json' && keyed.length > 0) {
        mutations.push(
          fc.tuple(fc.constantFrom(...keyed), hostileValue, fc.boolean()).map(([path, value, same]) => {
            const entries = Object.entries(at(base, path) as object);
            const [key, first] = entries[0];
            return plant(base, path, new JsonEntries([...entries, [key, same ? first : value]]));
          }),
        );
      }
    }
    return fc.oneof(...mutations).map((value) => (syntax === 'json' ? toJsonText(value) : toYaml(value)));
  });
}

/** YAML has no raw number tokens: a RawJson becomes the number it denotes (1e400: `.inf`). */
function yamlValue(value: unknown): unknown {
  return value instanceof RawJson ? Number(value.text) : value;
}

function locations(value: unknown, path: Path = []): Path[] {
  const here = [path];
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, i) => locations(item, [...path, i]))];
  if (isObject(value)) {
    return [...here, ...Object.entries(value).flatMap(([key, item]) => locations(item, [...path, key]))];
  }
  return here;
}

function at(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);
}

/** A copy of `value` with `replacement` at `path`. */
function plant(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((item, i) => (i === head ? plant(item, rest, replacement) : item));
  const object = value as Record<string, unknown>;
  return { ...object, [head]: plant(object[head as string], rest, replacement) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
