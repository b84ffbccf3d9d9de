/**
 * Turns zod issues into topology problems with short, uniform messages
 * (`must be > 0`, `is required`, `unknown key`), one problem per unknown key and per
 * failing field inside a `gpus` union.
 */
import type { z } from 'zod';
import { formatTopologyPath, type TopologyProblem } from './topology-problem';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

/** Parse-level error map: default messages for issues whose schema gave none. */
export function shapeMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}, not ${describeValue(issue.input)}`;
    case 'too_small':
      return boundMessage(issue.origin, issue.inclusive ? '>=' : '>', Number(issue.minimum), 'at least');
    case 'too_big':
      return boundMessage(issue.origin, issue.inclusive ? '<=' : '<', Number(issue.maximum), 'at most');
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    default:
      return undefined;
  }
}

/** Flattens zod issues (unknown keys, union branches) into problems, resolving paths against the raw input. */
export function shapeProblems(issues: readonly Issue[], input: unknown): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  const visit = (issue: Issue, prefix: readonly PropertyKey[]): void => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: formatTopologyPath([...path, key]), message: 'unknown key' });
    } else if (issue.code === 'invalid_union') {
      // The only union is a node's `gpus`: pick the branch the author evidently meant.
      const value = valueAt(input, path);
      const branch = Array.isArray(value) ? 1 : isPlainObject(value) ? 0 : -1;
      if (branch < 0 || !issue.errors[branch]) {
        problems.push({
          path: formatTopologyPath(path),
          message: 'must be { product, count } or a list of { index, uuid, product }',
        });
      } else {
        for (const inner of issue.errors[branch]) visit(inner, path);
      }
    } else {
      problems.push({ path: formatTopologyPath(path), message: issue.message });
    }
  };
  for (const issue of issues) visit(issue, []);
  return problems;
}

const TYPE_NAMES: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  boolean: 'true or false',
};

function boundMessage(origin: string, op: string, bound: number, words: string): string {
  if (origin === 'array' || origin === 'set') return `must have ${words} ${bound} item${bound === 1 ? '' : 's'}`;
  if (origin === 'string')
    return bound === 1 && op === '>=' ? 'must not be empty' : `must be ${words} ${bound} characters`;
  return `must be ${op} ${bound}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `${value}` : `the number ${value}`;
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
