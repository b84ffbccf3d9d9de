/**
 * The subset of Kubernetes JSONPath used by printer columns and scale paths:
 * `.a.b`, `.a[0]`, `.a[*].b`, `.a[?(@.type=="Ready")].status`, optionally wrapped in `{}`.
 */
type Step = { field: string } | { index: number } | { all: true } | { filter: { path: string[]; value: string } };

const cache = new Map<string, Step[]>();

export function parseJsonPath(expression: string): Step[] {
  const hit = cache.get(expression);
  if (hit) return hit;
  let text = expression.trim();
  if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1);
  if (text.startsWith('$')) text = text.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '.') {
      i++;
      let j = i;
      while (j < text.length && text[j] !== '.' && text[j] !== '[') j++;
      if (j > i) steps.push({ field: text.slice(i, j) });
      i = j;
    } else if (ch === '[') {
      const end = matchingBracket(text, i);
      const inner = text.slice(i + 1, end).trim();
      if (inner === '*') steps.push({ all: true });
      else if (/^-?\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) {
        const m = /^@((?:\.[\w\-/]+)+)\s*==\s*["']?([^"']*)["']?$/.exec(inner.slice(2, -1).trim());
        if (!m) throw new Error(`unsupported JSONPath filter ${inner}`);
        steps.push({ filter: { path: m[1].split('.').filter(Boolean), value: m[2] } });
      } else if (/^['"].*['"]$/.test(inner)) steps.push({ field: inner.slice(1, -1) });
      else throw new Error(`unsupported JSONPath step [${inner}]`);
      i = end + 1;
    } else {
      let j = i;
      while (j < text.length && text[j] !== '.' && text[j] !== '[') j++;
      steps.push({ field: text.slice(i, j) });
      i = j;
    }
  }
  cache.set(expression, steps);
  return steps;
}

function matchingBracket(text: string, open: number): number {
  let depth = 0;
  for (let k = open; k < text.length; k++) {
    if (text[k] === '[') depth++;
    else if (text[k] === ']' && --depth === 0) return k;
  }
  throw new Error(`unbalanced brackets in JSONPath ${text}`);
}

/** Every value the path reaches (a filter or `[*]` can reach several). */
export function evaluateJsonPath(root: unknown, expression: string): unknown[] {
  let current: unknown[] = [root];
  for (const step of parseJsonPath(expression)) {
    const next: unknown[] = [];
    for (const value of current) {
      if (value === null || value === undefined) continue;
      if ('field' in step) {
        if (typeof value === 'object' && !Array.isArray(value)) {
          const v = (value as Record<string, unknown>)[step.field];
          if (v !== undefined) next.push(v);
        }
      } else if ('index' in step) {
        if (Array.isArray(value)) {
          const v = value[step.index < 0 ? value.length + step.index : step.index];
          if (v !== undefined) next.push(v);
        }
      } else if ('all' in step) {
        if (Array.isArray(value)) next.push(...value);
        else if (typeof value === 'object') next.push(...Object.values(value as object));
      } else if (Array.isArray(value)) {
        for (const item of value) {
          const probe = getPath(item, step.filter.path);
          if (probe !== undefined && String(probe) === step.filter.value) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}

export function getPath(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Sets a simple dotted path (`.spec.replicas`), creating maps on the way. */
export function setSimplePath(root: Record<string, unknown>, expression: string, value: unknown): void {
  const fields = parseJsonPath(expression).map((s) => {
    if (!('field' in s)) throw new Error(`path ${expression} must be a plain field path`);
    return s.field;
  });
  let target = root;
  for (const key of fields.slice(0, -1)) {
    const child = target[key];
    if (child === null || typeof child !== 'object' || Array.isArray(child)) target[key] = {};
    target = target[key] as Record<string, unknown>;
  }
  target[fields[fields.length - 1]] = value;
}
