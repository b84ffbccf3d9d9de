/** Deeper than any document of the API (a topology is about 10 levels); deeper is an attack on recursion. */
export const MAX_JSON_DEPTH = 64;

export interface JsonStructureProblem {
  /** Where it is, as keys and array indices from the root. */
  path: (string | number)[];
  message: string;
}

type Frame = { keys: Set<string>; key: string | undefined; expectKey: boolean } | { index: number };

/**
 * What a strict API refuses in JSON text that `JSON.parse` accepts: nesting deeper than
 * `maxDepth`, and a key twice in one object (`JSON.parse` silently keeps the last; RFC 8259
 * leaves the meaning undefined, so a client could mean either). `text` must be valid JSON.
 */
export function jsonStructureProblem(text: string, maxDepth = MAX_JSON_DEPTH): JsonStructureProblem | undefined {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    switch (text.charCodeAt(i)) {
      case 0x22 /* " */: {
        const end = closingQuote(text, i);
        const top = stack.at(-1);
        if (top && 'keys' in top && top.expectKey) {
          const token = text.slice(i, end + 1);
          const key = token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1);
          if (top.keys.has(key)) return { path: [...pathOf(stack.slice(0, -1)), key], message: 'is a duplicate key' };
          top.keys.add(key);
          top.key = key;
          top.expectKey = false;
        }
        i = end;
        break;
      }
      case 0x7b /* { */:
      case 0x5b /* [ */:
        if (stack.length >= maxDepth) {
          return { path: pathOf(stack), message: `nests deeper than ${maxDepth} levels` };
        }
        stack.push(text[i] === '{' ? { keys: new Set(), key: undefined, expectKey: true } : { index: 0 });
        break;
      case 0x7d /* } */:
      case 0x5d /* ] */:
        stack.pop();
        break;
      case 0x2c /* , */: {
        const top = stack.at(-1);
        if (top && 'keys' in top) top.expectKey = true;
        else if (top) top.index++;
        break;
      }
    }
  }
  return undefined;
}

/** The index of the quote that closes the string opening at `start` (one not escaped by a backslash). */
function closingQuote(text: string, start: number): number {
  for (let at = text.indexOf('"', start + 1); ; at = text.indexOf('"', at + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

function pathOf(stack: readonly Frame[]): (string | number)[] {
  return stack.map((frame) => ('keys' in frame ? (frame.key ?? '') : frame.index));
}
