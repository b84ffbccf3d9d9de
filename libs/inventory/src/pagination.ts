/**
 * Keyset pagination: a page is `{ items, nextCursor }` and the cursor is the sort key of the
 * last item, base64url-encoded JSON. Opaque to clients; a cursor that does not decode to the
 * expected shape is an InvalidCursorError (400), never a 500.
 */
import { InvalidCursorError, InvalidParameterError } from './errors';

export interface Page<T> {
  readonly items: T[];
  /** null on the last page. */
  readonly nextCursor: string | null;
}

export interface PageRequest {
  /** 1..1000, default 100. */
  readonly limit?: number;
  readonly cursor?: string;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export function pageLimit(request: PageRequest): number {
  const limit = request.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidParameterError('limit', `must be an integer between 1 and ${MAX_LIMIT}`);
  }
  return limit;
}

export type CursorKey = ReadonlyArray<string | number>;

export function encodeCursor(kind: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify([kind, ...key]), 'utf8').toString('base64url');
}

/** The key of a cursor made by `encodeCursor(kind, ...)` with the given element types. */
export function decodeCursor<K extends CursorKey>(
  kind: string,
  cursor: string,
  types: ReadonlyArray<'string' | 'number'>,
): K {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(parsed) || parsed[0] !== kind || parsed.length !== types.length + 1)
    throw new InvalidCursorError();
  const key = parsed.slice(1);
  key.forEach((value, i) => {
    if (typeof value !== types[i] || (typeof value === 'number' && !Number.isFinite(value)))
      throw new InvalidCursorError();
    // No cursor of ours holds U+0000, and PostgreSQL text cannot: comparing with it would fail.
    if (typeof value === 'string' && value.includes('\u0000')) throw new InvalidCursorError();
  });
  return key as unknown as K;
}

/** Given `limit + 1` rows, the page and the cursor of its last item. */
export function toPage<T>(rows: T[], limit: number, kind: string, keyOf: (item: T) => CursorKey): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(kind, keyOf(items[items.length - 1])) };
}
