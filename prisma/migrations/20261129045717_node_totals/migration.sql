-- AlterTable
ALTER TABLE "nodes" ADD COLUMN     "allocated_milli" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "allocated_watts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "busy_gpus" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "gpu_count" INTEGER NOT NULL DEFAULT 0;


-- Hand-written from here: per-node totals kept by triggers, so aggregates over the scope tree
-- read one row per node. Same pattern as gpus.allocated_milli: derived, checked, and refused
-- when written by a client.

UPDATE "nodes" n SET "gpu_count" = c."count", "allocated_milli" = c."milli", "busy_gpus" = c."busy"
FROM (
  SELECT "node_id", count(*)::int AS "count", sum("allocated_milli")::int AS "milli",
         (count(*) FILTER (WHERE "allocated_milli" > 0))::int AS "busy"
  FROM "gpus" GROUP BY "node_id"
) c
WHERE n."id" = c."node_id";

UPDATE "nodes" n SET "allocated_watts" = w."watts"
FROM (SELECT "node_id", sum("predicted_watts")::int AS "watts" FROM "allocations" GROUP BY "node_id") w
WHERE n."id" = w."node_id";

ALTER TABLE "nodes"
  ADD CONSTRAINT "nodes_totals_range" CHECK (
    "gpu_count" >= 0
    AND "busy_gpus" BETWEEN 0 AND "gpu_count"
    AND "allocated_milli" BETWEEN 0 AND 1000 * "gpu_count"
    AND "allocated_watts" >= 0
  );

-- Shares: the GPU total (as before) and now the node totals. A share is at least 1 milli, so a
-- GPU whose total drops to 0 has just stopped being busy, and one whose total equals the new
-- share has just started.
CREATE OR REPLACE FUNCTION "switchyard_account_gpu_share"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  total integer;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE "gpus" SET "allocated_milli" = "allocated_milli" - OLD."share_milli" WHERE "id" = OLD."gpu_id"
      RETURNING "allocated_milli" INTO total;
    UPDATE "nodes" SET "allocated_milli" = "allocated_milli" - OLD."share_milli",
                       "busy_gpus" = "busy_gpus" - (CASE WHEN total = 0 THEN 1 ELSE 0 END)
      WHERE "id" = OLD."node_id";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE "gpus" SET "allocated_milli" = "allocated_milli" + NEW."share_milli" WHERE "id" = NEW."gpu_id"
      RETURNING "allocated_milli" INTO total;
    UPDATE "nodes" SET "allocated_milli" = "allocated_milli" + NEW."share_milli",
                       "busy_gpus" = "busy_gpus" + (CASE WHEN total = NEW."share_milli" THEN 1 ELSE 0 END)
      WHERE "id" = NEW."node_id";
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION "switchyard_account_allocation_watts"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE "nodes" SET "allocated_watts" = "allocated_watts" - OLD."predicted_watts" WHERE "id" = OLD."node_id";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE "nodes" SET "allocated_watts" = "allocated_watts" + NEW."predicted_watts" WHERE "id" = NEW."node_id";
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "allocations_account_watts"
  AFTER INSERT OR DELETE OR UPDATE OF "predicted_watts", "node_id" ON "allocations"
  FOR EACH ROW EXECUTE FUNCTION "switchyard_account_allocation_watts"();

-- GPU counts per statement (transition tables): a topology import inserts 120,000 GPUs in a few
-- statements, and this costs one grouped UPDATE of nodes per statement, not one per GPU.
CREATE FUNCTION "switchyard_count_gpus"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "nodes" n SET "gpu_count" = n."gpu_count" + c."delta"
    FROM (SELECT "node_id", count(*)::int AS "delta" FROM "added_gpus" GROUP BY "node_id") c
    WHERE n."id" = c."node_id";
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE "nodes" n SET "gpu_count" = n."gpu_count" - c."delta"
    FROM (SELECT "node_id", count(*)::int AS "delta" FROM "removed_gpus" GROUP BY "node_id") c
    WHERE n."id" = c."node_id";
  ELSE
    UPDATE "nodes" n SET "gpu_count" = n."gpu_count" + c."delta"
    FROM (
      SELECT "node_id", sum("delta")::int AS "delta" FROM (
        SELECT "node_id", -1 AS "delta" FROM "removed_gpus"
        UNION ALL
        SELECT "node_id", 1 AS "delta" FROM "added_gpus"
      ) moved GROUP BY "node_id" HAVING sum("delta") <> 0
    ) c
    WHERE n."id" = c."node_id";
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "gpus_count_inserted" AFTER INSERT ON "gpus"
  REFERENCING NEW TABLE AS "added_gpus" FOR EACH STATEMENT EXECUTE FUNCTION "switchyard_count_gpus"();
CREATE TRIGGER "gpus_count_deleted" AFTER DELETE ON "gpus"
  REFERENCING OLD TABLE AS "removed_gpus" FOR EACH STATEMENT EXECUTE FUNCTION "switchyard_count_gpus"();
CREATE TRIGGER "gpus_count_moved" AFTER UPDATE ON "gpus"
  REFERENCING OLD TABLE AS "removed_gpus" NEW TABLE AS "added_gpus" FOR EACH STATEMENT EXECUTE FUNCTION "switchyard_count_gpus"();

CREATE FUNCTION "switchyard_guard_node_totals"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF pg_trigger_depth() <= 1 AND (
    (TG_OP = 'INSERT' AND (NEW."gpu_count", NEW."allocated_milli", NEW."busy_gpus", NEW."allocated_watts") IS DISTINCT FROM (0, 0, 0, 0))
    OR (TG_OP = 'UPDATE' AND (NEW."gpu_count", NEW."allocated_milli", NEW."busy_gpus", NEW."allocated_watts")
        IS DISTINCT FROM (OLD."gpu_count", OLD."allocated_milli", OLD."busy_gpus", OLD."allocated_watts"))
  ) THEN
    RAISE EXCEPTION 'nodes.gpu_count, allocated_milli, busy_gpus and allocated_watts are maintained by triggers and cannot be written directly'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'nodes_totals_derived', TABLE = 'nodes';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER "nodes_guard_totals"
  BEFORE INSERT OR UPDATE OF "gpu_count", "allocated_milli", "busy_gpus", "allocated_watts" ON "nodes"
  FOR EACH ROW EXECUTE FUNCTION "switchyard_guard_node_totals"();
