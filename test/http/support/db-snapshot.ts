import { type Database } from '@switchyard/inventory';

/**
 * A fingerprint of every table's rows (count and an md5 of the sorted rows), to prove that a
 * rejected request wrote nothing. `api_tokens.last_used_at` is left out: verifying a token may
 * touch it, which is bookkeeping, not a change the request asked for.
 */
const TABLES: Record<string, string> = {
  scopes: '*',
  budget_overrides: '*',
  gpu_products: '*',
  nodes: '*',
  gpus: '*',
  model_profiles: '*',
  model_profile_products: '*',
  tenants: '*',
  deployments: '*',
  allocations: '*',
  allocation_gpus: '*',
  audit_events: '*',
  api_tokens: 'id, name, role, hash, created_at, revoked_at',
};

export type DatabaseSnapshot = Record<string, { rows: number; digest: string | null }>;

export async function snapshotDatabase(database: Database): Promise<DatabaseSnapshot> {
  return database.withSession(async (session) => {
    const snapshot: DatabaseSnapshot = {};
    for (const [table, columns] of Object.entries(TABLES)) {
      const [row] = await session.query<{ rows: string; digest: string | null }>(
        `SELECT count(*)::text AS rows, md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM (SELECT ${columns} FROM "${table}") t`,
      );
      snapshot[table] = { rows: Number(row.rows), digest: row.digest };
    }
    return snapshot;
  });
}
