-- Hand-written: the accounting triggers of *_invariants and *_node_totals, per statement instead of
-- per row. A scheduling cycle inserts about a thousand allocations and their GPU shares in one
-- statement; per-row triggers ran two UPDATEs per share and one per allocation (80% of the
-- statement's CPU). Now each statement costs one grouped UPDATE of gpus and one of nodes.
-- Same invariants, same errors: gpus.allocated_milli is the sum of the shares (CHECK <= 1000),
-- and nodes.gpu_count, allocated_milli, busy_gpus and allocated_watts equal their recomputation.
--
-- Transition tables cannot be combined with several events or a column list, hence one trigger
-- per event. Updates that change nothing the totals depend on (bind: allocations.state; the
-- accounting itself: gpus.allocated_milli) fire no accounting at all: the rare updates that do
-- (an allocation's watts or node, a GPU moved to another node) keep a row trigger with a WHEN
-- clause, which is evaluated without calling a function and queues nothing when it is false.

DROP TRIGGER "allocation_gpus_account_share" ON "allocation_gpus";
DROP TRIGGER "allocations_account_watts" ON "allocations";
DROP TRIGGER "gpus_count_moved" ON "gpus";
DROP TRIGGER "gpus_guard_allocated_milli" ON "gpus";
DROP TRIGGER "nodes_guard_totals" ON "nodes";

-- Adds share deltas (milli per GPU; GPUs sorted by id, no duplicates) to the GPUs and their nodes.
-- The GPU rows are locked lowest id first, so concurrent statements sharing GPUs queue in one
-- order instead of deadlocking. The UPDATE re-reads a row a concurrent transaction committed in
-- the meantime (READ COMMITTED; REPEATABLE READ and SERIALIZABLE fail to serialise instead), so
-- the CHECK on gpus.allocated_milli sees the true total: over-allocation stays impossible. A GPU
-- is busy when its total is above 0; comparing the total before and after gives the change.
CREATE FUNCTION "switchyard_apply_share_deltas"("gpu_ids" uuid[], "deltas" integer[]) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM 1 FROM "gpus" WHERE "id" = ANY("gpu_ids") ORDER BY "id" FOR NO KEY UPDATE;
  WITH "changed" AS (
    UPDATE "gpus" g SET "allocated_milli" = g."allocated_milli" + d."delta"
    FROM unnest("gpu_ids", "deltas") AS d("gpu_id", "delta")
    WHERE g."id" = d."gpu_id"
    RETURNING g."node_id", d."delta", g."allocated_milli" AS "total"
  )
  UPDATE "nodes" n SET "allocated_milli" = n."allocated_milli" + c."delta", "busy_gpus" = n."busy_gpus" + c."busy"
  FROM (
    SELECT "node_id", sum("delta")::int AS "delta",
           sum(("total" > 0)::int - ("total" - "delta" > 0)::int)::int AS "busy"
    FROM "changed" GROUP BY "node_id"
  ) c
  WHERE n."id" = c."node_id";
END
$$;

-- Shares: the net change per GPU of the statement (insert +, delete -, update both).
CREATE OR REPLACE FUNCTION "switchyard_account_gpu_share"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  gpu_ids uuid[];
  deltas integer[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg("gpu_id" ORDER BY "gpu_id"), array_agg("delta" ORDER BY "gpu_id") INTO gpu_ids, deltas
    FROM (SELECT "gpu_id", sum("share_milli")::int AS "delta" FROM "added_shares" GROUP BY "gpu_id") d;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg("gpu_id" ORDER BY "gpu_id"), array_agg("delta" ORDER BY "gpu_id") INTO gpu_ids, deltas
    FROM (SELECT "gpu_id", -sum("share_milli")::int AS "delta" FROM "removed_shares" GROUP BY "gpu_id") d;
  ELSE
    SELECT array_agg("gpu_id" ORDER BY "gpu_id"), array_agg("delta" ORDER BY "gpu_id") INTO gpu_ids, deltas
    FROM (
      SELECT "gpu_id", sum("delta")::int AS "delta" FROM (
        SELECT "gpu_id", -"share_milli" AS "delta" FROM "removed_shares"
        UNION ALL
        SELECT "gpu_id", "share_milli" AS "delta" FROM "added_shares"
      ) s GROUP BY "gpu_id" HAVING sum("delta") <> 0
    ) d;
  END IF;
  IF gpu_ids IS NOT NULL THEN
    PERFORM "switchyard_apply_share_deltas"(gpu_ids, deltas);
  END IF;
  RETURN NULL;
END
$$;

-- Fires once for a DELETE of allocations too: PostgreSQL gathers the shares its ON DELETE CASCADE
-- removes into one transition table for the statement.
CREATE TRIGGER "allocation_gpus_account_inserted" AFTER INSERT ON "allocation_gpus"
  REFERENCING NEW TABLE AS "added_shares" FOR EACH STATEMENT EXECUTE FUNCTION "switchyard_account_gpu_share"();
CREATE TRIGGER "allocation_gpus_account_deleted" AFTER DELETE ON "allocation_gpus"
  REFERENCING OLD TABLE AS "removed_shares" FOR EACH STATEMENT EXECUTE FUNCTION "switchyard_account_gpu_share"();
CREATE TRIGGER "allocation_gpus_account_updated" AFTER UPDATE ON "allocation_gpus"
  REFERENCING OLD TABLE AS "removed_shares" NEW TABLE AS "added_shares"
  FOR EACH STATEMENT EXECUTE FUNCTION "switchyard_account_gpu_share"();

-- Watts per node: grouped per statement for inserts and deletes; per row for the rare update of
-- an allocation's watts or node (a row trigger, so binding 1,000 pods captures and fires nothing).
CREATE OR REPLACE FUNCTION "switchyard_account_allocation_watts"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_LEVEL = 'ROW' THEN
    UPDATE "nodes" SET "allocated_watts" = "allocated_watts" - OLD."predicted_watts" WHERE "id" = OLD."node_id";
    UPDATE "nodes" SET "allocated_watts" = "allocated_watts" + NEW."predicted_watts" WHERE "id" = NEW."node_id";
  ELSIF TG_OP = 'INSERT' THEN
    UPDATE "nodes" n SET "allocated_watts" = n."allocated_watts" + w."watts"
    FROM (SELECT "node_id", sum("predicted_watts")::int AS "watts" FROM "added_allocations" GROUP BY "node_id") w
    WHERE n."id" = w."node_id" AND w."watts" <> 0;
  ELSE
    UPDATE "nodes" n SET "allocated_watts" = n."allocated_watts" - w."watts"
    FROM (SELECT "node_id", sum("predicted_watts")::int AS "watts" FROM "removed_allocations" GROUP BY "node_id") w
    WHERE n."id" = w."node_id" AND w."watts" <> 0;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "allocations_account_inserted" AFTER INSERT ON "allocations"
  REFERENCING NEW TABLE AS "added_allocations" FOR EACH STATEMENT EXECUTE FUNCTION "switchyard_account_allocation_watts"();
CREATE TRIGGER "allocations_account_deleted" AFTER DELETE ON "allocations"
  REFERENCING OLD TABLE AS "removed_allocations" FOR EACH STATEMENT EXECUTE FUNCTION "switchyard_account_allocation_watts"();
CREATE TRIGGER "allocations_account_moved" AFTER UPDATE OF "predicted_watts", "node_id" ON "allocations"
  FOR EACH ROW WHEN ((OLD."predicted_watts", OLD."node_id") IS DISTINCT FROM (NEW."predicted_watts", NEW."node_id"))
  EXECUTE FUNCTION "switchyard_account_allocation_watts"();

-- GPU counts: inserts and deletes stay per statement; a GPU moved to another node (rare: a node
-- re-racked or re-imported) is counted per row, and only when its node really changes. A GPU
-- holding shares cannot move (allocation_gpus references (gpu_id, node_id) ON UPDATE RESTRICT),
-- so a moved GPU carries no allocated milli to move with it.
CREATE OR REPLACE FUNCTION "switchyard_count_gpus"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_LEVEL = 'ROW' THEN
    UPDATE "nodes" SET "gpu_count" = "gpu_count" - 1 WHERE "id" = OLD."node_id";
    UPDATE "nodes" SET "gpu_count" = "gpu_count" + 1 WHERE "id" = NEW."node_id";
  ELSIF TG_OP = 'INSERT' THEN
    UPDATE "nodes" n SET "gpu_count" = n."gpu_count" + c."delta"
    FROM (SELECT "node_id", count(*)::int AS "delta" FROM "added_gpus" GROUP BY "node_id") c
    WHERE n."id" = c."node_id";
  ELSE
    UPDATE "nodes" n SET "gpu_count" = n."gpu_count" - c."delta"
    FROM (SELECT "node_id", count(*)::int AS "delta" FROM "removed_gpus" GROUP BY "node_id") c
    WHERE n."id" = c."node_id";
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "gpus_count_moved" AFTER UPDATE OF "node_id" ON "gpus"
  FOR EACH ROW WHEN (OLD."node_id" IS DISTINCT FROM NEW."node_id") EXECUTE FUNCTION "switchyard_count_gpus"();

-- The guards of the derived columns, unchanged in effect, now with the test in a WHEN clause:
-- the accounting above writes thousands of rows per statement and must not call a function for
-- each. pg_trigger_depth() is 0 in the WHEN of a statement a client issued and at least 1 inside
-- any trigger (the functions' own test, <= 1 inside the function, is the same condition).
CREATE TRIGGER "gpus_guard_allocated_milli_insert" BEFORE INSERT ON "gpus"
  FOR EACH ROW WHEN (pg_trigger_depth() = 0 AND NEW."allocated_milli" <> 0)
  EXECUTE FUNCTION "switchyard_guard_allocated_milli"();
CREATE TRIGGER "gpus_guard_allocated_milli" BEFORE UPDATE OF "allocated_milli" ON "gpus"
  FOR EACH ROW WHEN (pg_trigger_depth() = 0 AND NEW."allocated_milli" IS DISTINCT FROM OLD."allocated_milli")
  EXECUTE FUNCTION "switchyard_guard_allocated_milli"();

CREATE TRIGGER "nodes_guard_totals_insert" BEFORE INSERT ON "nodes"
  FOR EACH ROW WHEN (pg_trigger_depth() = 0
    AND (NEW."gpu_count", NEW."allocated_milli", NEW."busy_gpus", NEW."allocated_watts") IS DISTINCT FROM (0, 0, 0, 0))
  EXECUTE FUNCTION "switchyard_guard_node_totals"();
CREATE TRIGGER "nodes_guard_totals" BEFORE UPDATE OF "gpu_count", "allocated_milli", "busy_gpus", "allocated_watts" ON "nodes"
  FOR EACH ROW WHEN (pg_trigger_depth() = 0
    AND (NEW."gpu_count", NEW."allocated_milli", NEW."busy_gpus", NEW."allocated_watts")
        IS DISTINCT FROM (OLD."gpu_count", OLD."allocated_milli", OLD."busy_gpus", OLD."allocated_watts"))
  EXECUTE FUNCTION "switchyard_guard_node_totals"();

-- Every allocation and release rewrites the GPU and node rows it touches. With free space on
-- their pages the new row versions stay on the same page and skip the indexes (HOT updates);
-- a topology import fills pages completely by default, which makes every such update write a
-- new entry in each of the five indexes of gpus. Applies to pages written from now on.
ALTER TABLE "gpus" SET (fillfactor = 80);
ALTER TABLE "nodes" SET (fillfactor = 80);
