/**
 * Input and output types of the placement engine.
 *
 * Power accounting (one rule, used everywhere): the load of a node or scope is the sum of the
 * predicted watts of the pods placed under it. Idle power is not counted: budgets are set
 * for the power that workloads add. A node's own budget is its `maxWatts`; a scope's budget
 * is `overrideWatts` when an override is in force, else `capacityWatts x oversubscription`.
 */

export type ScopeKind = 'site' | 'hall' | 'row' | 'rack';
export const SCOPE_KINDS: readonly ScopeKind[] = ['site', 'hall', 'row', 'rack'];

export interface ScopeInput {
  readonly id: string;
  readonly kind: ScopeKind;
  /** null only for the root (one site). */
  readonly parentId: string | null;
  readonly capacityWatts: number;
  /** Defaults to 1. */
  readonly oversubscription?: number;
  /** A temporary budget in force (e.g. a grid event), replacing capacity x oversubscription. */
  readonly overrideWatts?: number | null;
}

export interface GpuInput {
  readonly memoryMiB: number;
  readonly tdpWatts: number;
  readonly minLimitWatts: number;
  readonly maxLimitWatts: number;
}

export interface NodeInput {
  readonly id: string;
  /** The scope the node hangs under, usually a rack. */
  readonly scopeId: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly idleWatts: number;
  readonly maxWatts: number;
  /** Defaults to true. */
  readonly ready?: boolean;
  /** Defaults to true (false = cordoned). */
  readonly schedulable?: boolean;
  /** One product per node; null for a CPU-only node. */
  readonly gpuProduct: string | null;
  readonly gpus: readonly GpuInput[];
}

export interface TenantInput {
  readonly id: string;
  /** Whole-GPU equivalents (a 250 milli share counts 0.25); null = unlimited. */
  readonly gpuQuota?: number | null;
  /** Predicted watts; null = unlimited. */
  readonly wattQuota?: number | null;
}

export interface ClusterInput {
  readonly scopes: readonly ScopeInput[];
  readonly nodes: readonly NodeInput[];
  readonly tenants?: readonly TenantInput[];
}

/** A lower GPU power limit the pod accepts, and what it is then predicted to draw per GPU. */
export interface PowerCap {
  readonly limitWatts: number;
  readonly wattsPerGpu: number;
  /** Run capped even where the uncapped pod would fit (default: cap only when needed to fit). */
  readonly always?: boolean;
}

export interface PodRequest {
  readonly id: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  /** Whole GPUs (1..8 on one node) when gpuMilli is 1000; 1 with a 1..999 share; 0 for a CPU-only pod. */
  readonly gpuCount: number;
  readonly gpuMilli: number;
  /** Allowed GPU products; null or empty = any. */
  readonly allowedProducts?: readonly string[] | null;
  readonly minGpuMemoryMiB?: number;
  /** Predicted watts of one whole GPU running this pod; a share of s milli predicts s/1000 of it. */
  readonly wattsPerGpu: number;
  /** Set when the pod may run under a lower power limit. */
  readonly cap?: PowerCap | null;
}

export type GangTopology = 'rack' | 'row' | 'hall';

/** One replica of a deployment: a single pod, or a gang placed all-or-nothing. */
export interface ReplicaRequest {
  readonly id: string;
  readonly deployment?: string | null;
  readonly tenant?: string | null;
  /** Higher wins; preemption only evicts strictly lower priority. Defaults to 0. */
  readonly priority?: number;
  readonly pods: readonly PodRequest[];
  /** Every pod of a gang under one scope of this kind. */
  readonly topology?: GangTopology | null;
  /** Prefer racks without a replica of the same deployment (soft). Defaults to true when `deployment` is set. */
  readonly spread?: boolean;
}

export interface PodPlacement {
  readonly podId: string;
  readonly nodeId: string;
  readonly gpuIndices: readonly number[];
  readonly gpuMilli: number;
  /** The GPU power limit to set, or null to leave the GPUs at their default limit. */
  readonly powerLimitWatts: number | null;
  readonly predictedWatts: number;
}

/** A replica already running (e.g. loaded from the database), with where its pods are. */
export interface ExistingPlacement {
  readonly replica: ReplicaRequest;
  readonly pods: readonly PodPlacement[];
}

export type ExclusionReason =
  | 'node-not-ready'
  | 'gpu-product'
  | 'gpu-memory'
  | 'gpu-power-limit'
  | 'gpus'
  | 'policy'
  | 'cpu'
  | 'memory'
  | 'node-power'
  | 'rack-power'
  | 'row-power'
  | 'hall-power'
  | 'site-power'
  | 'tenant-gpu-quota'
  | 'tenant-watt-quota'
  | 'topology';

export interface ExclusionCount {
  readonly reason: ExclusionReason;
  /** Nodes this reason excluded (each node is counted under its first failing reason). */
  readonly nodes: number;
  /** The closest miss for this reason: what the pod needs and the best any excluded node had. */
  readonly needs?: number;
  readonly best?: number;
  readonly unit?: 'gpus' | 'milli' | 'MiB' | 'watts';
}

export interface Explanation {
  readonly totalNodes: number;
  /** Which pod of the replica could not be placed (gangs), by id. */
  readonly podId: string;
  readonly reasons: readonly ExclusionCount[];
  /** e.g. "0/15000 nodes fit: 9800 not enough free GPUs, 3100 rack power (needs 5.6 kW, best headroom 4.1 kW)". */
  readonly message: string;
}

export type PlaceResult =
  | {
      readonly placed: true;
      readonly replicaId: string;
      readonly pods: readonly PodPlacement[];
      readonly score: number;
    }
  | { readonly placed: false; readonly replicaId: string; readonly explanation: Explanation };

export interface OverBudgetScope {
  readonly scopeId: string;
  readonly kind: ScopeKind | 'node';
  readonly budgetWatts: number;
  readonly loadWatts: number;
  readonly overByWatts: number;
}

export interface BudgetChange {
  readonly scopeId: string;
  readonly capacityWatts?: number;
  readonly oversubscription?: number;
  /** null clears the override. */
  readonly overrideWatts?: number | null;
}
