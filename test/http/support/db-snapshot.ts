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

/** One statement for every table: a fuzz run takes a snapshot per request, and round trips dominate. */
const SNAPSHOT_SQL = Object.entries(TABLES)
  .map(
    ([table, columns]) =>
      `SELECT '${table}' AS "table", count(*)::text AS rows, md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM (SELECT ${columns} FROM "${table}") t`,
  )
  .join(' UNION ALL ');

export async function snapshotDatabase(database: Database): Promise<DatabaseSnapshot> {
  const rows = await database.withSession((session) =>
    session.query<{ table: string; rows: string; digest: string | null }>(SNAPSHOT_SQL),
  );
  return Object.fromEntries(rows.map((row) => [row.table, { rows: Number(row.rows), digest: row.digest }]));
}
