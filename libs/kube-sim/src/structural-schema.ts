import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { StatusCause } from './api-error';
import type { JsonObject } from './resource-type';

/** The OpenAPI v3 subset a CRD's `openAPIV3Schema` may use, as the apiserver reads it. */
export interface StructuralSchema {
  type?: string;
  properties?: Record<string, StructuralSchema>;
  additionalProperties?: StructuralSchema | boolean;
  items?: StructuralSchema;
  required?: string[];
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  [keyword: string]: unknown;
}

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, validateFormats: false });

/** Turns the Kubernetes extensions into plain JSON Schema that ajv checks (`nullable`, int-or-string). */
function toJsonSchema(schema: StructuralSchema): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (
      key.startsWith('x-kubernetes-') ||
      key === 'nullable' ||
      key === 'format' ||
      key === 'example' ||
      key === 'externalDocs'
    )
      continue;
    if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, StructuralSchema>).map(([k, v]) => [k, toJsonSchema(v)]),
      );
    } else if (key === 'items' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.items = toJsonSchema(value as StructuralSchema);
    } else if (key === 'additionalProperties' && value && typeof value === 'object') {
      out.additionalProperties = toJsonSchema(value as StructuralSchema);
    } else if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
      out[key] = value.map((v) => toJsonSchema(v as StructuralSchema));
    } else if (key === 'not' && value && typeof value === 'object') {
      out.not = toJsonSchema(value as StructuralSchema);
    } else {
      out[key] = value;
    }
  }
  // OpenAPI 3.0 (what CRDs use) writes exclusive bounds as booleans beside minimum/maximum; JSON Schema as numbers.
  if (schema.exclusiveMinimum === true && typeof schema.minimum === 'number') {
    out.exclusiveMinimum = schema.minimum;
    delete out.minimum;
  } else if (typeof schema.exclusiveMinimum === 'boolean') delete out.exclusiveMinimum;
  if (schema.exclusiveMaximum === true && typeof schema.maximum === 'number') {
    out.exclusiveMaximum = schema.maximum;
    delete out.maximum;
  } else if (typeof schema.exclusiveMaximum === 'boolean') delete out.exclusiveMaximum;
  if (schema['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }, ...((out.anyOf as unknown[]) ?? [])];
  }
  if (schema.nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (schema.nullable && Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
  return out;
}

export interface CompiledSchema {
  /** Prunes unknown fields, applies defaults, then validates; returns the causes of every violation. */
  validate(object: JsonObject): StatusCause[];
}

export function compileStructuralSchema(schema: StructuralSchema): CompiledSchema {
  const root: JsonObject = toJsonSchema(schema);
  // The apiserver validates metadata itself; a CR schema may not constrain it beyond name/generateName.
  if (root.properties && typeof root.properties === 'object') {
    const props = { ...(root.properties as JsonObject) };
    delete props.metadata;
    delete props.apiVersion;
    delete props.kind;
    root.properties = props;
  }
  const check: ValidateFunction = ajv.compile(root);
  return {
    validate(object: JsonObject): StatusCause[] {
      pruneUnknownFields(object, schema, true);
      if (check(object)) return [];
      return describeErrors(check.errors ?? [], object);
    },
  };
}

/** Removes fields the schema does not declare, as the apiserver's pruning does (unless preserve-unknown-fields). */
export function pruneUnknownFields(value: unknown, schema: StructuralSchema | undefined, isRoot = false): void {
  if (!schema || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) pruneUnknownFields(item, schema.items);
    return;
  }
  const object = value as JsonObject;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  for (const key of Object.keys(object)) {
    if (isRoot && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
    if (embedded && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
    const child = schema.properties?.[key];
    if (child) pruneUnknownFields(object[key], child);
    else if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
      pruneUnknownFields(object[key], schema.additionalProperties);
    else if (schema.additionalProperties === true) continue;
    else if (!preserve && (schema.properties !== undefined || schema.type === 'object')) delete object[key];
  }
}

function fieldPath(instancePath: string): string {
  let out = '';
  for (const token of instancePath.split('/').slice(1)) {
    const t = token.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(t)) out += `[${t}]`;
    else out += out ? `.${t}` : t;
  }
  return out;
}

function at(object: unknown, instancePath: string): unknown {
  let node = object;
  for (const token of instancePath.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? '"array"' : '"object"';
  return String(value);
}

/** Messages in the apiserver's words, so users see `spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0`. */
function describeErrors(errors: ErrorObject[], object: unknown): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  // ajv reports the branches of a failed anyOf too; the anyOf itself is the useful line.
  const anyOfPaths = new Set(
    errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath),
  );
  for (const e of errors) {
    if (
      (e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && anyOfPaths.has(e.instancePath)) ||
      e.schemaPath.includes('/anyOf/') ||
      e.schemaPath.includes('/oneOf/')
    )
      continue;
    const params = e.params as Record<string, unknown>;
    let field = fieldPath(e.instancePath);
    const value = at(object, e.instancePath);
    const inBody = field || 'body';
    let message: string;
    let reason = 'FieldValueInvalid';
    switch (e.keyword) {
      case 'required':
        field = field ? `${field}.${String(params.missingProperty)}` : String(params.missingProperty);
        message = 'Required value';
        reason = 'FieldValueRequired';
        break;
      case 'type':
        message = `Invalid value: ${show(value)}: ${inBody} in body must be of type ${String(params.type)}: ${show(value)}`;
        reason = 'FieldValueTypeInvalid';
        break;
      case 'enum':
        message = `Unsupported value: ${show(value)}: supported values: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        reason = 'FieldValueNotSupported';
        break;
      case 'minimum':
        message = `Invalid value: ${show(value)}: ${inBody} in body should be greater than or equal to ${String(params.limit)}`;
        break;
      case 'maximum':
        message = `Invalid value: ${show(value)}: ${inBody} in body should be less than or equal to ${String(params.limit)}`;
        break;
      case 'exclusiveMinimum':
        message = `Invalid value: ${show(value)}: ${inBody} in body should be greater than ${String(params.limit)}`;
        break;
      case 'exclusiveMaximum':
        message = `Invalid value: ${show(value)}: ${inBody} in body should be less than ${String(params.limit)}`;
        break;
      case 'minLength':
        message = `Invalid value: ${show(value)}: ${inBody} in body should be at least ${String(params.limit)} chars long`;
        break;
      case 'maxLength':
        message = `Too long: may not be longer than ${String(params.limit)}`;
        reason = 'FieldValueTooLong';
        break;
      case 'pattern':
        message = `Invalid value: ${show(value)}: ${inBody} in body should match '${String(params.pattern)}'`;
        break;
      case 'minItems':
        message = `Invalid value: ${Array.isArray(value) ? value.length : 0}: ${inBody} in body should have at least ${String(params.limit)} items`;
        break;
      case 'maxItems':
        message = `Too many: ${Array.isArray(value) ? value.length : 0}: must have at most ${String(params.limit)} items`;
        reason = 'FieldValueTooMany';
        break;
      case 'minProperties':
        message = `Invalid value: ${show(value)}: ${inBody} in body should have at least ${String(params.limit)} properties`;
        break;
      case 'maxProperties':
        message = `Too many: ${value && typeof value === 'object' ? Object.keys(value).length : 0}: must have at most ${String(params.limit)} properties`;
        reason = 'FieldValueTooMany';
        break;
      case 'anyOf':
        message = `Invalid value: ${show(value)}: ${inBody} in body must be of type integer,string or match one of the allowed schemas`;
        break;
      case 'oneOf':
        message = `Invalid value: ${show(value)}: ${inBody} in body must validate one and only one schema (oneOf)`;
        break;
      case 'uniqueItems':
        message = `Duplicate value: ${show(value)}`;
        reason = 'FieldValueDuplicate';
        break;
      default:
        message = `Invalid value: ${show(value)}: ${e.message ?? e.keyword}`;
    }
    const key = `${field}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    causes.push({ reason, message, field: field || '<root>' });
  }
  return causes;
}
