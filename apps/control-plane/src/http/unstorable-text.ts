import { formatTopologyPath as formatPath, type FieldLocation, type FieldProblem } from '@switchyard/contracts';

/** Past this many, one more problem tells the client nothing new; the walk stops. */
const MAX_PROBLEMS = 20;

/** A high surrogate without its low half, or a low one without its high half. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why PostgreSQL cannot store a string, or undefined: `text` refuses U+0000, and a lone UTF-16
 * surrogate has no UTF-8 encoding. Either would fail deep in a write (a 500, possibly after an
 * audit row was prepared), so the edge refuses it first.
 */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL byte (U+0000), which cannot be stored';
  const lone = LONE_SURROGATE.exec(text);
  if (lone) {
    const unit = lone[0].charCodeAt(0).toString(16).toUpperCase();
    return `contains a lone surrogate (U+${unit}), which is not valid Unicode and cannot be stored`;
  }
  return undefined;
}

/** Every string (and object key) at any depth of `value` that cannot be stored, one problem each. */
export function unstorableTextProblems(value: unknown, location: FieldLocation): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const visit = (node: unknown, path: PropertyKey[]): void => {
    if (problems.length >= MAX_PROBLEMS) return;
    if (typeof node === 'string') {
      const message = unstorableText(node);
      if (message)
        problems.push({ path: path.length === 0 ? `(${location})` : formatPath(path), message, in: location });
    } else if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, [...path, index]));
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, item] of Object.entries(node)) {
        visit(key, [...path, key]);
        visit(item, [...path, key]);
      }
    }
  };
  visit(value, []);
  return problems;
}
