/**
 * The checked-in CRD is exactly what the zod schema generates, and it is a structural schema
 * Kubernetes accepts. Regenerate with `npm run crd:generate` (node scripts/generate-crd.mjs).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  NonStructuralSchemaError,
  buildModelDeploymentCrd,
  renderModelDeploymentCrdYaml,
  toStructuralSchema,
  type JsonSchemaNode,
} from '@switchyard/contracts';

const CRD_FILE = join(__dirname, '../../deploy/base/crd-modeldeployments.yaml');

/** Every structural-schema rule this test knows, as a list of violations with their paths. */
function structuralViolations(node: JsonSchemaNode, path: string, out: string[]): string[] {
  if ('$ref' in node) out.push(`${path}: $ref`);
  if (node.additionalProperties === false || node.additionalProperties === true)
    out.push(`${path}: boolean additionalProperties`);
  if ('const' in node) out.push(`${path}: const`);
  if (node.properties && node.additionalProperties) out.push(`${path}: properties and additionalProperties together`);
  if (node['x-kubernetes-int-or-string'] !== true && typeof node.type !== 'string') out.push(`${path}: no type`);
  for (const [k, v] of Object.entries((node.properties as Record<string, JsonSchemaNode>) ?? {}))
    structuralViolations(v, `${path}.${k}`, out);
  if (node.items) structuralViolations(node.items as JsonSchemaNode, `${path}[]`, out);
  if (typeof node.additionalProperties === 'object')
    structuralViolations(node.additionalProperties as JsonSchemaNode, `${path}.*`, out);
  for (const j of ['anyOf', 'oneOf', 'allOf']) {
    for (const b of (node[j] as JsonSchemaNode[]) ?? []) {
      const typedIntOrString = node['x-kubernetes-int-or-string'] === true && Object.keys(b).length === 1;
      if (!typedIntOrString && ('type' in b || 'properties' in b || 'default' in b))
        out.push(`${path}.${j}: declares types`);
    }
  }
  return out;
}

describe('deploy/base/crd-modeldeployments.yaml', () => {
  it('is current with the zod schema (run `npm run crd:generate` if this fails)', () => {
    expect(readFileSync(CRD_FILE, 'utf8')).toBe(renderModelDeploymentCrdYaml());
  });

  it('is what `node scripts/generate-crd.mjs --check` (the npm script) considers current', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(__dirname, '../../scripts/generate-crd.mjs'), '--check'],
      { timeout: 30_000 },
    );
    expect(stdout).toContain('is current');
  });

  it('declares the group, names, subresources and printer columns kubectl shows', () => {
    const crd = parse(readFileSync(CRD_FILE, 'utf8'));
    expect(crd.metadata.name).toBe('modeldeployments.switchyard.io');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({ kind: 'ModelDeployment', plural: 'modeldeployments', shortNames: ['md'] });
    const [v] = crd.spec.versions;
    expect(v.name).toBe('v1alpha1');
    expect(v.subresources).toEqual({
      status: {},
      scale: {
        specReplicasPath: '.spec.replicas',
        statusReplicasPath: '.status.replicas',
        labelSelectorPath: '.status.selector',
      },
    });
    expect(v.additionalPrinterColumns.map((c: { name: string }) => c.name.toUpperCase())).toEqual([
      'MODEL',
      'REPLICAS',
      'PLACED',
      'POWER-KW',
      'AGE',
    ]);
  });

  it('is a structural schema (types everywhere, no $ref, no additionalProperties: false)', () => {
    const crd = buildModelDeploymentCrd() as { spec: { versions: { schema: { openAPIV3Schema: JsonSchemaNode } }[] } };
    expect(structuralViolations(crd.spec.versions[0].schema.openAPIV3Schema, '', [])).toEqual([]);
  });

  it('marks int-or-string fields and keeps enums, bounds and descriptions', () => {
    const crd = buildModelDeploymentCrd() as { spec: { versions: { schema: { openAPIV3Schema: JsonSchemaNode } }[] } };
    const spec = (crd.spec.versions[0].schema.openAPIV3Schema.properties as Record<string, JsonSchemaNode>).spec;
    const props = spec.properties as Record<string, JsonSchemaNode>;
    expect(props.maxUnavailable).toMatchObject({ 'x-kubernetes-int-or-string': true, default: 1 });
    expect(props.priority).toMatchObject({
      type: 'string',
      enum: ['critical', 'high', 'standard', 'batch', 'best-effort'],
    });
    expect((props.gpu.properties as Record<string, JsonSchemaNode>).count).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 8,
    });
    expect(props.gpu.oneOf).toEqual([{ required: ['count'] }, { required: ['milli'] }]);
    expect(typeof props.model.description).toBe('string');
  });

  it('refuses what a structural schema cannot express instead of emitting it', () => {
    const union = z.toJSONSchema(z.union([z.object({ a: z.string() }), z.object({ b: z.int() })]), {
      target: 'openapi-3.0',
    });
    expect(() => toStructuralSchema(union as JsonSchemaNode, 'x')).toThrow(NonStructuralSchemaError);
    expect(() => toStructuralSchema({ $ref: '#/definitions/x' }, 'y')).toThrow(/\$ref is not allowed/);
    expect(() => toStructuralSchema({ description: 'untyped' }, 'z')).toThrow(/every node needs a type/);
  });
});
