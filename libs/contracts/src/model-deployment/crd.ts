/**
 * The ModelDeployment CustomResourceDefinition, generated from the zod schemas so that the
 * API's validation and the cluster's validation are the same rules.
 *
 * Kubernetes wants a *structural* schema: every node has a `type` (or is int-or-string), no
 * `$ref`, no `additionalProperties: false` (unknown fields are pruned instead; kubectl's
 * strict field validation reports them), no `const`.
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import {
  MODEL_DEPLOYMENT_GROUP,
  MODEL_DEPLOYMENT_KIND,
  MODEL_DEPLOYMENT_PLURAL,
  MODEL_DEPLOYMENT_SHORT_NAMES,
  MODEL_DEPLOYMENT_SINGULAR,
  MODEL_DEPLOYMENT_VERSION,
  modelDeploymentSpecSchema,
  modelDeploymentStatusSchema,
} from './model-deployment.schema';

/** A JSON (OpenAPI v3) schema node; loose on purpose, this module rewrites arbitrary ones. */
export type JsonSchemaNode = { [key: string]: unknown };

export class NonStructuralSchemaError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`schema at ${path} cannot become a Kubernetes structural schema: ${reason}`);
    this.name = 'NonStructuralSchemaError';
  }
}

const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]);
const CHILD_SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf'] as const;

function isNode(v: unknown): v is JsonSchemaNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{anyOf: [{type: integer}, {type: string}]}` in any order, with value checks in the branches. */
function isIntOrStringUnion(node: JsonSchemaNode): boolean {
  const anyOf = node.anyOf;
  if (!Array.isArray(anyOf) || anyOf.length !== 2 || node.type !== undefined) return false;
  const types = anyOf.map((b) => (isNode(b) ? b.type : undefined)).sort();
  return types[0] === 'integer' && types[1] === 'string';
}

/**
 * Rewrites one JSON schema node (from `z.toJSONSchema`, OpenAPI 3.0 target) into a Kubernetes
 * structural schema node; throws `NonStructuralSchemaError` for what cannot be expressed.
 */
export function toStructuralSchema(input: JsonSchemaNode, path = '(root)'): JsonSchemaNode {
  if ('$ref' in input || '$defs' in input || 'definitions' in input)
    throw new NonStructuralSchemaError(path, '$ref is not allowed');
  const node: JsonSchemaNode = { ...input };
  delete node.$schema;
  delete node.$id;
  if (typeof node.additionalProperties === 'boolean') delete node.additionalProperties;
  if ('const' in node) {
    node.enum = [node.const];
    delete node.const;
  }
  if (node.format === 'date-time') delete node.pattern;
  for (const bound of ['minimum', 'maximum'] as const) {
    if (typeof node[bound] === 'number' && SAFE_INTEGER_BOUNDS.has(node[bound] as number)) delete node[bound];
  }

  if (isIntOrStringUnion(node)) {
    // Value checks move to the top: `pattern` only applies to strings and `minimum` only to numbers.
    const merged: JsonSchemaNode = {
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
    };
    for (const branch of node.anyOf as JsonSchemaNode[]) {
      for (const [k, v] of Object.entries(branch)) {
        if (k === 'type') continue;
        const existing = merged[k];
        if (existing !== undefined && existing !== v)
          throw new NonStructuralSchemaError(path, `int-or-string branches disagree on ${k}`);
        merged[k] = SAFE_INTEGER_BOUNDS.has(v as number) ? undefined : v;
      }
    }
    for (const k of Object.keys(node)) if (k !== 'anyOf' && k !== 'type') merged[k] = node[k];
    for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
    return merged;
  }

  if (isNode(node.properties)) {
    const props: JsonSchemaNode = {};
    for (const [k, v] of Object.entries(node.properties)) {
      if (!isNode(v)) throw new NonStructuralSchemaError(`${path}.${k}`, 'not a schema');
      props[k] = toStructuralSchema(v, `${path}.${k}`);
    }
    node.properties = props;
  }
  if (isNode(node.items)) node.items = toStructuralSchema(node.items, `${path}[]`);
  if (isNode(node.additionalProperties))
    node.additionalProperties = toStructuralSchema(node.additionalProperties, `${path}.*`);
  for (const list of CHILD_SCHEMA_LISTS) {
    const branches = node[list];
    if (branches === undefined) continue;
    // Structural schemas allow junctors only as extra value validation, never to declare types.
    for (const b of branches as JsonSchemaNode[]) {
      if ('type' in b || 'properties' in b || 'items' in b || 'default' in b) {
        throw new NonStructuralSchemaError(
          path,
          `${list} may only add value validations (a union of types cannot be structural)`,
        );
      }
    }
  }
  if (typeof node.type !== 'string') throw new NonStructuralSchemaError(path, 'every node needs a type');
  return node;
}

function structuralFromZod(schema: z.ZodType, path: string): JsonSchemaNode {
  return toStructuralSchema(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as JsonSchemaNode, path);
}

/** The `openAPIV3Schema` of the ModelDeployment CRD. */
export function modelDeploymentOpenApiSchema(): JsonSchemaNode {
  return {
    type: 'object',
    description: 'A model served on GPUs, placed by Switchyard within every power budget.',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: structuralFromZod(modelDeploymentSpecSchema, 'spec'),
      status: structuralFromZod(modelDeploymentStatusSchema, 'status'),
    },
    required: ['spec'],
  };
}

/** The complete `apiextensions.k8s.io/v1` CustomResourceDefinition object. */
export function buildModelDeploymentCrd(): JsonSchemaNode {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${MODEL_DEPLOYMENT_PLURAL}.${MODEL_DEPLOYMENT_GROUP}`,
      labels: { 'app.kubernetes.io/name': 'switchyard', 'app.kubernetes.io/part-of': 'switchyard' },
    },
    spec: {
      group: MODEL_DEPLOYMENT_GROUP,
      scope: 'Namespaced',
      names: {
        plural: MODEL_DEPLOYMENT_PLURAL,
        singular: MODEL_DEPLOYMENT_SINGULAR,
        kind: MODEL_DEPLOYMENT_KIND,
        listKind: `${MODEL_DEPLOYMENT_KIND}List`,
        shortNames: [...MODEL_DEPLOYMENT_SHORT_NAMES],
        categories: ['switchyard'],
      },
      versions: [
        {
          name: MODEL_DEPLOYMENT_VERSION,
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          additionalPrinterColumns: [
            { name: 'Model', type: 'string', jsonPath: '.spec.model', description: 'Model profile' },
            { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', description: 'Desired replicas' },
            {
              name: 'Placed',
              type: 'integer',
              jsonPath: '.status.placed',
              description: 'Replicas with every pod bound',
            },
            {
              name: 'Power-kW',
              type: 'number',
              jsonPath: '.status.predictedKilowatts',
              description: 'Predicted draw of the placed replicas',
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: modelDeploymentOpenApiSchema() },
        },
      ],
    },
  };
}

export const CRD_FILE_HEADER =
  '# Generated from libs/contracts/src/model-deployment (the zod schema) by `npm run crd:generate`.\n' +
  '# Do not edit: change the schema and regenerate; test/deploy fails when this file is stale.\n';

/** The checked-in `deploy/base/crd-modeldeployments.yaml`, byte for byte. */
export function renderModelDeploymentCrdYaml(): string {
  return CRD_FILE_HEADER + stringify(buildModelDeploymentCrd(), { lineWidth: 0 });
}
