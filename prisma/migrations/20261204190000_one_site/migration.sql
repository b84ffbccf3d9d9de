-- One site per database: the scheduler's inventory refresh, the power tree and the metrics all
-- assume a single root scope, so no path (import, SQL, a future API) may create a second one.
-- A root is always a site (scopes_parent_kind_matches), so at most one row may have no parent.
-- Partial indexes are outside schema.prisma (a preview feature there), like the CHECKs.
CREATE UNIQUE INDEX "scopes_one_site_key" ON "scopes"("kind") WHERE "parent_id" IS NULL;
