import { badRequest } from './api-error';
import { getPath } from './json-path';
import type { KubeObject } from './resource-type';

/** Label selector requirements in the apiserver's string syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`. */
export type LabelRequirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export type LabelSelector = LabelRequirement[];

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const KEY = /^([a-z0-9A-Z]([\w.\-/]*[a-zA-Z0-9])?)$/;

export function parseLabelSelector(text: string | undefined | null): LabelSelector {
  if (!text) return [];
  return splitTopLevel(text).map((part) => {
    let m = /^(\S+?)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m) {
      checkKey(m[1], text);
      const values = m[3]
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0);
      for (const v of values) checkValue(v, text);
      return { key: m[1], op: m[2] as 'in' | 'notin', values };
    }
    m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (m) {
      checkKey(m[1], text);
      checkValue(m[3], text);
      return { key: m[1], op: m[2] === '!=' ? 'neq' : 'eq', value: m[3] };
    }
    m = /^(!?)\s*([^=!\s(),]+)$/.exec(part);
    if (m) {
      checkKey(m[2], text);
      return { key: m[2], op: m[1] ? 'notexists' : 'exists' };
    }
    throw badRequest(`unable to parse requirement: found '${part}' in label selector "${text}"`);
  });
}

const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkValue(value: string, selector: string): void {
  if (!VALUE.test(value) || value.length > 63)
    throw badRequest(
      `invalid label value: "${value}" in selector "${selector}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`,
    );
}

function checkKey(key: string, selector: string): void {
  if (!KEY.test(key)) throw badRequest(`invalid label key "${key}" in selector "${selector}"`);
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const req of selector) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, req.key);
    const value = has ? labels[req.key] : undefined;
    switch (req.op) {
      case 'eq':
        if (value !== req.value) return false;
        break;
      case 'neq':
        if (value === req.value) return false;
        break;
      case 'in':
        if (value === undefined || !req.values.includes(value)) return false;
        break;
      case 'notin':
        if (value !== undefined && req.values.includes(value)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** A structured `metav1.LabelSelector` (matchLabels, matchExpressions), as PDBs and Deployments carry. */
export function fromStructuredSelector(selector: unknown): LabelSelector {
  const out: LabelSelector = [];
  if (!selector || typeof selector !== 'object') return out;
  const s = selector as {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  };
  for (const [key, value] of Object.entries(s.matchLabels ?? {})) out.push({ key, op: 'eq', value });
  for (const e of s.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'in' || op === 'notin') out.push({ key: e.key, op, values: e.values ?? [] });
    else if (op === 'exists') out.push({ key: e.key, op: 'exists' });
    else if (op === 'doesnotexist') out.push({ key: e.key, op: 'notexists' });
  }
  return out;
}

export interface FieldRequirement {
  path: string[];
  field: string;
  negate: boolean;
  value: string;
}

export type FieldSelector = FieldRequirement[];

/**
 * Field selectors over any dotted field (`metadata.name`, `spec.nodeName`, `status.phase`, `involvedObject.uid`).
 * The real apiserver allows a per-type list; accepting every path is a superset clients never notice.
 */
export function parseFieldSelector(text: string | undefined | null): FieldSelector {
  if (!text) return [];
  return splitTopLevel(text).map((part) => {
    const m = /^([\w.\-/]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    return { field: m[1], path: m[1].split('.'), negate: m[2] === '!=', value: m[3] };
  });
}

export function matchesFields(selector: FieldSelector, obj: KubeObject): boolean {
  for (const req of selector) {
    const raw = getPath(obj, req.path);
    const value = raw === undefined || raw === null ? '' : String(raw);
    if ((value === req.value) === req.negate) return false;
  }
  return true;
}
