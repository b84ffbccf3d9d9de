/**
 * JSON text that JSON.stringify cannot write: number tokens it would rewrite (`1e400` becomes
 * `null`, `-0` becomes `0`), nesting built as text, and objects that repeat a key.
 *
 *   toJsonText({ watts: new RawJson('1e400'), x: new JsonEntries([['a', 1], ['a', 2]]) })
 *   // '{"watts":1e400,"x":{"a":1,"a":2}}'
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/** An object written entry by entry, so that a key may appear twice. */
export class JsonEntries {
  constructor(readonly entries: ReadonlyArray<readonly [string, unknown]>) {}
}

export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof JsonEntries) {
    return `{${value.entries.map(([key, item]) => `${JSON.stringify(key)}:${toJsonText(item)}`).join(',')}}`;
  }
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return toJsonText(new JsonEntries(Object.entries(value)));
  }
  // JSON.stringify escapes U+0000 and lone surrogates (`"\u0000"`, `"\ud800"`), as a client would.
  return JSON.stringify(value) ?? 'null';
}
