import { NotFoundError } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot name a row (and would make PostgreSQL fail the cast). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** The row `find` returns for `id`, else NotFoundError(`what`, id); an id that is not a UUID is never looked up. */
export async function existingById<T>(what: string, id: string, find: () => Promise<T | null>): Promise<T> {
  const row = isUuid(id) ? await find() : null;
  if (!row) throw new NotFoundError(what, id);
  return row;
}
