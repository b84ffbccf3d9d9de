import { existingById } from './ids';
import type { Tx } from './transactions';

/** Tables whose rows an update reads, then replaces, in one transaction. */
export type LockedTable = 'scopes' | 'tenants' | 'model_profiles' | 'api_tokens';

/**
 * `existingById` under a row lock: the row is locked (`FOR UPDATE`) in `tx` before `find` reads
 * it, so concurrent changes of one row apply one after the other and each reads (and audits as
 * "before") exactly what it replaces. NotFoundError(`what`, id) when there is no such row.
 */
export function lockedById<T>(
  tx: Tx,
  table: LockedTable,
  what: string,
  id: string,
  find: () => Promise<T | null>,
): Promise<T> {
  return existingById(what, id, async () => {
    const locked = await tx.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM "${table}" WHERE id = $1::uuid FOR UPDATE`, id);
    return locked.length > 0 ? find() : null;
  });
}
