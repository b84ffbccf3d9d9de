import type { z } from 'zod';
import {
  modelDeploymentSchema,
  modelDeploymentSpecSchema,
  type ModelDeployment,
  type ModelDeploymentSpec,
} from './model-deployment.schema';

/** One problem with an input document, located by a dotted path such as `spec.gpu.count`. */
export interface SchemaIssue {
  readonly path: string;
  readonly message: string;
}

export type Validated<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly SchemaIssue[] };

/** `spec.gpu.products[2]`: the form kubectl and the Kubernetes API use for field paths. */
export function formatIssuePath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

function toIssues(error: z.ZodError, prefix: string): SchemaIssue[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return {
        path: formatIssuePath(prefix, issue.path),
        message: `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`,
      };
    }
    return { path: formatIssuePath(prefix, issue.path), message: issue.message };
  });
}

/** Validates a ModelDeployment spec (REST input), filling defaults. */
export function validateModelDeploymentSpec(input: unknown): Validated<ModelDeploymentSpec> {
  const result = modelDeploymentSpecSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toIssues(result.error, 'spec') };
}

/** Validates a whole ModelDeployment object (as read from the API or a manifest). */
export function validateModelDeployment(input: unknown): Validated<ModelDeployment> {
  const result = modelDeploymentSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toIssues(result.error, '') };
}

/** "spec.gpu.count: GPUs per pod must be at most 8; spec.tenant: ..." for logs and 4xx details. */
export function describeIssues(issues: readonly SchemaIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}
