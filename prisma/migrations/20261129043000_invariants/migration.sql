-- Invariants the Prisma schema language cannot express. Hand-written; the diff of the schema engine
-- does not see CHECK constraints, functions or triggers, so the drift test is unaffected.
-- Functions pin their search_path to the schema they were created in, so a schema per test
-- (or per tenant installation) keeps its triggers pointing at its own tables.

-- Power scopes: positive capacity, oversubscription at least 1, and each kind under the kind
-- above it. With the composite reference (parent_id, parent_kind) -> scopes(id, kind) the
-- real kind of the parent is what gets compared.
ALTER TABLE "scopes"
  ADD CONSTRAINT "scopes_capacity_watts_positive" CHECK ("capacity_watts" > 0),
  ADD CONSTRAINT "scopes_oversubscription_at_least_one" CHECK ("oversubscription_ratio" >= 1.0),
  ADD CONSTRAINT "scopes_name_not_empty" CHECK (length("name") > 0),
  -- coalesce: a CHECK that evaluates to NULL passes, and a NULL parent_kind would also skip the
  -- composite foreign key (MATCH SIMPLE), so every NULL must make the CHECK false.
  ADD CONSTRAINT "scopes_parent_kind_matches" CHECK (coalesce(
    ("kind" = 'site' AND "parent_id" IS NULL AND "parent_kind" IS NULL)
    OR ("kind" = 'hall' AND "parent_id" IS NOT NULL AND "parent_kind" IS NOT NULL AND "parent_kind" = 'site')
    OR ("kind" = 'row' AND "parent_id" IS NOT NULL AND "parent_kind" IS NOT NULL AND "parent_kind" = 'hall')
    OR ("kind" = 'rack' AND "parent_id" IS NOT NULL AND "parent_kind" IS NOT NULL AND "parent_kind" = 'row'),
    false));

ALTER TABLE "budget_overrides"
  ADD CONSTRAINT "budget_overrides_watts_not_negative" CHECK ("watts" >= 0),
  ADD CONSTRAINT "budget_overrides_window_ordered" CHECK ("ends_at" > "starts_at");

ALTER TABLE "gpu_products"
  ADD CONSTRAINT "gpu_products_memory_positive" CHECK ("memory_mib" > 0),
  ADD CONSTRAINT "gpu_products_tdp_positive" CHECK ("tdp_watts" > 0),
  ADD CONSTRAINT "gpu_products_power_limit_range" CHECK (
    "min_power_limit_watts" > 0 AND "min_power_limit_watts" <= "max_power_limit_watts"
  );

ALTER TABLE "nodes"
  ADD CONSTRAINT "nodes_in_a_rack" CHECK ("rack_kind" = 'rack'),
  ADD CONSTRAINT "nodes_resources_not_negative" CHECK ("cpu_milli" >= 0 AND "memory_mib" >= 0),
  ADD CONSTRAINT "nodes_power_range" CHECK ("idle_watts" >= 0 AND "max_watts" > 0 AND "idle_watts" <= "max_watts");

ALTER TABLE "gpus"
  ADD CONSTRAINT "gpus_index_not_negative" CHECK ("index" >= 0),
  ADD CONSTRAINT "gpus_memory_positive" CHECK ("memory_mib" > 0),
  ADD CONSTRAINT "gpus_tdp_positive" CHECK ("tdp_watts" > 0),
  ADD CONSTRAINT "gpus_power_limit_range" CHECK (
    "min_power_limit_watts" > 0 AND "min_power_limit_watts" <= "max_power_limit_watts"
  ),
  ADD CONSTRAINT "gpus_allocated_milli_range" CHECK ("allocated_milli" BETWEEN 0 AND 1000);

ALTER TABLE "model_profiles"
  ADD CONSTRAINT "model_profiles_gpus_per_replica_positive" CHECK ("gpus_per_replica" >= 1),
  ADD CONSTRAINT "model_profiles_gpu_memory_not_negative" CHECK ("gpu_memory_mib" >= 0),
  ADD CONSTRAINT "model_profiles_predicted_watts_positive" CHECK ("predicted_watts_per_gpu" > 0),
  ADD CONSTRAINT "model_profiles_capping_complete" CHECK (coalesce(
    ("capped_power_limit_watts" IS NULL AND "predicted_watts_per_gpu_capped" IS NULL)
    OR ("capped_power_limit_watts" > 0 AND "predicted_watts_per_gpu_capped" > 0),
    false));

ALTER TABLE "tenants"
  ADD CONSTRAINT "tenants_gpu_quota_not_negative" CHECK ("gpu_quota" IS NULL OR "gpu_quota" >= 0),
  ADD CONSTRAINT "tenants_watts_quota_not_negative" CHECK ("watts_quota" IS NULL OR "watts_quota" >= 0);

ALTER TABLE "deployments"
  ADD CONSTRAINT "deployments_replicas_not_negative" CHECK ("replicas" >= 0);

ALTER TABLE "allocations"
  ADD CONSTRAINT "allocations_predicted_watts_not_negative" CHECK ("predicted_watts" >= 0),
  ADD CONSTRAINT "allocations_power_limit_positive" CHECK ("power_limit_watts" IS NULL OR "power_limit_watts" > 0),
  ADD CONSTRAINT "allocations_bound_at_iff_bound" CHECK (("state" = 'bound') = ("bound_at" IS NOT NULL));

ALTER TABLE "allocation_gpus"
  ADD CONSTRAINT "allocation_gpus_share_range" CHECK ("share_milli" BETWEEN 1 AND 1000);

-- The allocated share of a GPU: every share row adds to gpus.allocated_milli, whose CHECK caps it at
-- 1000. The UPDATE takes the row lock of the GPU, so two concurrent transactions sharing a GPU are
-- serialised and the second one sees the total of the first one (READ COMMITTED re-reads the row),
-- which makes over-allocation impossible even when both commit "at once".
CREATE FUNCTION "switchyard_account_gpu_share"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE "gpus" SET "allocated_milli" = "allocated_milli" - OLD."share_milli" WHERE "id" = OLD."gpu_id";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE "gpus" SET "allocated_milli" = "allocated_milli" + NEW."share_milli" WHERE "id" = NEW."gpu_id";
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "allocation_gpus_account_share"
  AFTER INSERT OR UPDATE OR DELETE ON "allocation_gpus"
  FOR EACH ROW EXECUTE FUNCTION "switchyard_account_gpu_share"();

-- allocated_milli is derived: refuse writes that do not come from the accounting trigger
-- (pg_trigger_depth() is 1 for a statement issued by a client, 2 inside the trigger above).
CREATE FUNCTION "switchyard_guard_allocated_milli"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF pg_trigger_depth() <= 1 AND (
    (TG_OP = 'INSERT' AND NEW."allocated_milli" <> 0)
    OR (TG_OP = 'UPDATE' AND NEW."allocated_milli" IS DISTINCT FROM OLD."allocated_milli")
  ) THEN
    RAISE EXCEPTION 'gpus.allocated_milli is maintained from allocation_gpus and cannot be written directly'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'gpus_allocated_milli_derived', TABLE = 'gpus';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER "gpus_guard_allocated_milli"
  BEFORE INSERT OR UPDATE OF "allocated_milli" ON "gpus"
  FOR EACH ROW EXECUTE FUNCTION "switchyard_guard_allocated_milli"();
