/**
 * The contract between the placement engine and its named scoring policies.
 *
 * A policy sees one node's free resources and one pod's demand and returns a score
 * (higher is better) plus the GPUs it would use. It must be a pure function of its
 * arguments: the engine caches scores per distinct node state, which is what lets it
 * score every feasible node (no sampling) at campus scale.
 */

/** Free resources of one node as a policy sees them. */
export interface NodeResources {
  readonly gpuProduct: string;
  /** Free share of each GPU by index, 0..1000 milli-GPU. */
  readonly gpuFreeMilli: readonly number[];
  readonly cpuFreeMilli: number;
  readonly memoryFreeMiB: number;
  readonly cpuCapacityMilli: number;
  readonly memoryCapacityMiB: number;
}

/** What one pod asks for. */
export interface PodDemand {
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  /** Number of GPUs: whole GPUs when gpuMilli is 1000, else 1 (a fraction) or 0 (CPU-only). */
  readonly gpuCount: number;
  /** Share of each requested GPU: 1000 for whole GPUs, 1..999 for a fraction, 0 for none. */
  readonly gpuMilli: number;
  /** Allowed GPU products; null means any. */
  readonly allowedProducts: readonly string[] | null;
}

/** A pod shape and how often it occurs in the workload (FGD's "typical pods"). */
export interface WorkloadShape {
  readonly demand: PodDemand;
  /** Relative frequency; weights need not sum to 1. */
  readonly weight: number;
}

/** Power at the node: the tightest headroom over the node and every ancestor scope. */
export interface PowerView {
  /** min over node and ancestors of (budget - placed predicted watts), before this pod. */
  readonly headroomWatts: number;
  /** Budget of the scope where that minimum is found. */
  readonly budgetWatts: number;
  /** Predicted watts this pod adds. */
  readonly podWatts: number;
  /**
   * Headroom (budget - placed predicted watts, before this pod) of the node's enclosing scope:
   * the lowest scope it hangs under, usually its rack. Unlike the tightest headroom, it changes
   * only when a pod lands on or leaves one of that scope's own nodes, so the engine can keep
   * nodes ordered by it. Absent (or infinite) means no budget applies.
   */
  readonly enclosingHeadroomWatts?: number;
  /** Budget of the enclosing scope. */
  readonly enclosingBudgetWatts?: number;
}

/**
 * Spare headroom of a scope as a share of its budget, clamped to 0..1; 0 when no finite,
 * positive budget applies. The engine orders nodes by exactly this value, so an
 * 'enclosing-scope' policy must read power through this function and nothing else.
 */
export function headroomShare(headroomWatts: number | undefined, budgetWatts: number | undefined): number {
  if (headroomWatts === undefined || budgetWatts === undefined) return 0;
  if (!Number.isFinite(headroomWatts) || !Number.isFinite(budgetWatts) || !(budgetWatts > 0)) return 0;
  return Math.min(1, Math.max(0, headroomWatts / budgetWatts));
}

/** headroomShare of the node's enclosing scope. */
export function enclosingHeadroomShare(power: PowerView): number {
  return headroomShare(power.enclosingHeadroomWatts, power.enclosingBudgetWatts);
}

export interface PolicyContext {
  /** Typical pods of the workload; policies that do not need it ignore it. */
  readonly workload: readonly WorkloadShape[];
}

export interface ScoringPolicy {
  readonly name: string;
  /**
   * Whether score() reads `power`:
   * - false: it does not; one score per node state serves every node in that state.
   * - 'enclosing-scope': it reads power only through enclosingHeadroomShare(power), and the
   *   score never increases when that share grows. The engine keeps each node state's
   *   members ordered by that share, so the best member is found without scoring them all.
   * - true: anything in the PowerView; the engine scores the nodes one by one (exact, slower).
   * A policy that breaks its declaration makes decisions differ from the brute-force reference.
   */
  readonly powerAware: boolean | 'enclosing-scope';
  /**
   * The GPU indices this policy would give the pod on this node, or null if the pod does not
   * fit (GPU shares, CPU, memory; product is filtered before). Empty array for a CPU-only pod.
   */
  assignGpus(node: NodeResources, pod: PodDemand, ctx: PolicyContext): number[] | null;
  /** Score of placing pod on node with those GPUs; higher is better. Finite number. */
  score(node: NodeResources, pod: PodDemand, gpus: readonly number[], ctx: PolicyContext, power: PowerView): number;
  /**
   * Optional, for powerAware policies: [lowest, highest] score() can return for this node,
   * pod and GPUs over every PowerView. The engine caches it per node state and scores node
   * by node only the states whose highest can still beat the best found, so a policy whose
   * power term is a bounded adjustment stays fast at campus scale. A bound that is wrong
   * makes decisions differ from the brute-force reference (tests catch it).
   */
  scoreBounds?(
    node: NodeResources,
    pod: PodDemand,
    gpus: readonly number[],
    ctx: PolicyContext,
  ): readonly [number, number];
}
