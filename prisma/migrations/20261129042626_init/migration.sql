-- CreateEnum
CREATE TYPE "ScopeKind" AS ENUM ('site', 'hall', 'row', 'rack');

-- CreateEnum
CREATE TYPE "Health" AS ENUM ('healthy', 'degraded', 'unhealthy', 'unknown');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('viewer', 'operator', 'admin');

-- CreateEnum
CREATE TYPE "Priority" AS ENUM ('critical', 'high', 'standard', 'batch', 'best-effort');

-- CreateEnum
CREATE TYPE "AllocationState" AS ENUM ('reserved', 'bound');

-- CreateTable
CREATE TABLE "scopes" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "kind" "ScopeKind" NOT NULL,
    "name" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "parent_id" UUID,
    "parent_kind" "ScopeKind",
    "capacity_watts" INTEGER NOT NULL,
    "oversubscription_ratio" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scopes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "budget_overrides" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "scope_id" UUID NOT NULL,
    "watts" INTEGER NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "reason" TEXT NOT NULL,
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancelled_at" TIMESTAMPTZ(3),

    CONSTRAINT "budget_overrides_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "gpu_products" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "memory_mib" INTEGER NOT NULL,
    "tdp_watts" INTEGER NOT NULL,
    "min_power_limit_watts" INTEGER NOT NULL,
    "max_power_limit_watts" INTEGER NOT NULL,

    CONSTRAINT "gpu_products_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "nodes" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "rack_id" UUID NOT NULL,
    "rack_kind" "ScopeKind" NOT NULL DEFAULT 'rack',
    "cpu_milli" INTEGER NOT NULL,
    "memory_mib" INTEGER NOT NULL,
    "idle_watts" INTEGER NOT NULL,
    "max_watts" INTEGER NOT NULL,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "schedulable" BOOLEAN NOT NULL DEFAULT true,
    "health" "Health" NOT NULL DEFAULT 'unknown',
    "last_seen_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "nodes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "gpus" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "uuid" TEXT NOT NULL,
    "node_id" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "product_id" UUID NOT NULL,
    "memory_mib" INTEGER NOT NULL,
    "tdp_watts" INTEGER NOT NULL,
    "min_power_limit_watts" INTEGER NOT NULL,
    "max_power_limit_watts" INTEGER NOT NULL,
    "health" "Health" NOT NULL DEFAULT 'healthy',
    "allocated_milli" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "gpus_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_profiles" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "gpus_per_replica" INTEGER NOT NULL,
    "gpu_memory_mib" INTEGER NOT NULL,
    "predicted_watts_per_gpu" INTEGER NOT NULL,
    "capped_power_limit_watts" INTEGER,
    "predicted_watts_per_gpu_capped" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_profiles_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_profile_products" (
    "profile_id" UUID NOT NULL,
    "product_id" UUID NOT NULL,

    CONSTRAINT "model_profile_products_pkey" PRIMARY KEY ("profile_id","product_id")
);

-- CreateTable
CREATE TABLE "tenants" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "gpu_quota" INTEGER,
    "watts_quota" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployments" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kube_uid" TEXT,
    "model_profile_id" UUID,
    "tenant_id" UUID,
    "priority" "Priority" NOT NULL DEFAULT 'standard',
    "replicas" INTEGER NOT NULL DEFAULT 1,
    "spec" JSONB NOT NULL DEFAULT '{}',
    "status" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "allocations" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "pod_uid" TEXT NOT NULL,
    "pod_namespace" TEXT NOT NULL,
    "pod_name" TEXT NOT NULL,
    "node_id" UUID NOT NULL,
    "deployment_id" UUID,
    "tenant_id" UUID,
    "priority" "Priority" NOT NULL DEFAULT 'standard',
    "predicted_watts" INTEGER NOT NULL,
    "power_limit_watts" INTEGER,
    "state" "AllocationState" NOT NULL DEFAULT 'reserved',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "bound_at" TIMESTAMPTZ(3),

    CONSTRAINT "allocations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "allocation_gpus" (
    "allocation_id" UUID NOT NULL,
    "gpu_id" UUID NOT NULL,
    "node_id" UUID NOT NULL,
    "share_milli" INTEGER NOT NULL,

    CONSTRAINT "allocation_gpus_pkey" PRIMARY KEY ("allocation_id","gpu_id")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "scopes_path_key" ON "scopes"("path");

-- CreateIndex
CREATE INDEX "scopes_kind_idx" ON "scopes"("kind");

-- CreateIndex
CREATE UNIQUE INDEX "scopes_id_kind_key" ON "scopes"("id", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "scopes_parent_id_name_key" ON "scopes"("parent_id", "name");

-- CreateIndex
CREATE INDEX "budget_overrides_scope_id_ends_at_idx" ON "budget_overrides"("scope_id", "ends_at");

-- CreateIndex
CREATE UNIQUE INDEX "gpu_products_name_key" ON "gpu_products"("name");

-- CreateIndex
CREATE UNIQUE INDEX "nodes_name_key" ON "nodes"("name");

-- CreateIndex
CREATE INDEX "nodes_rack_id_idx" ON "nodes"("rack_id");

-- CreateIndex
CREATE UNIQUE INDEX "gpus_uuid_key" ON "gpus"("uuid");

-- CreateIndex
CREATE INDEX "gpus_product_id_idx" ON "gpus"("product_id");

-- CreateIndex
CREATE UNIQUE INDEX "gpus_node_id_index_key" ON "gpus"("node_id", "index");

-- CreateIndex
CREATE UNIQUE INDEX "gpus_id_node_id_key" ON "gpus"("id", "node_id");

-- CreateIndex
CREATE UNIQUE INDEX "model_profiles_name_key" ON "model_profiles"("name");

-- CreateIndex
CREATE UNIQUE INDEX "tenants_name_key" ON "tenants"("name");

-- CreateIndex
CREATE UNIQUE INDEX "deployments_kube_uid_key" ON "deployments"("kube_uid");

-- CreateIndex
CREATE UNIQUE INDEX "deployments_namespace_name_key" ON "deployments"("namespace", "name");

-- CreateIndex
CREATE UNIQUE INDEX "allocations_pod_uid_key" ON "allocations"("pod_uid");

-- CreateIndex
CREATE INDEX "allocations_pod_namespace_pod_name_idx" ON "allocations"("pod_namespace", "pod_name");

-- CreateIndex
CREATE INDEX "allocations_node_id_idx" ON "allocations"("node_id");

-- CreateIndex
CREATE INDEX "allocations_deployment_id_idx" ON "allocations"("deployment_id");

-- CreateIndex
CREATE INDEX "allocations_tenant_id_idx" ON "allocations"("tenant_id");

-- CreateIndex
CREATE UNIQUE INDEX "allocations_id_node_id_key" ON "allocations"("id", "node_id");

-- CreateIndex
CREATE INDEX "allocation_gpus_gpu_id_idx" ON "allocation_gpus"("gpu_id");

-- CreateIndex
CREATE INDEX "audit_events_at_id_idx" ON "audit_events"("at", "id");

-- CreateIndex
CREATE INDEX "audit_events_actor_at_idx" ON "audit_events"("actor", "at");

-- CreateIndex
CREATE INDEX "audit_events_action_at_idx" ON "audit_events"("action", "at");

-- CreateIndex
CREATE UNIQUE INDEX "api_tokens_hash_key" ON "api_tokens"("hash");

-- AddForeignKey
ALTER TABLE "scopes" ADD CONSTRAINT "scopes_parent_id_parent_kind_fkey" FOREIGN KEY ("parent_id", "parent_kind") REFERENCES "scopes"("id", "kind") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "budget_overrides" ADD CONSTRAINT "budget_overrides_scope_id_fkey" FOREIGN KEY ("scope_id") REFERENCES "scopes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_rack_id_rack_kind_fkey" FOREIGN KEY ("rack_id", "rack_kind") REFERENCES "scopes"("id", "kind") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "gpus" ADD CONSTRAINT "gpus_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "nodes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "gpus" ADD CONSTRAINT "gpus_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "gpu_products"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_profile_products" ADD CONSTRAINT "model_profile_products_profile_id_fkey" FOREIGN KEY ("profile_id") REFERENCES "model_profiles"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_profile_products" ADD CONSTRAINT "model_profile_products_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "gpu_products"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_model_profile_id_fkey" FOREIGN KEY ("model_profile_id") REFERENCES "model_profiles"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "nodes"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "allocation_gpus" ADD CONSTRAINT "allocation_gpus_allocation_id_node_id_fkey" FOREIGN KEY ("allocation_id", "node_id") REFERENCES "allocations"("id", "node_id") ON DELETE CASCADE ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "allocation_gpus" ADD CONSTRAINT "allocation_gpus_gpu_id_node_id_fkey" FOREIGN KEY ("gpu_id", "node_id") REFERENCES "gpus"("id", "node_id") ON DELETE RESTRICT ON UPDATE RESTRICT;
