import type { ClusterInput } from '@switchyard/placement';
import type { PodView } from './pod-model';
import type { GpuProductInfo, PriorityName } from './pod-request';

/**
 * The I/O the scheduler needs, as small interfaces: the database ledger of allocations, the
 * inventory, and the Kubernetes calls. Adapters over libs/inventory and libs/kube implement
 * them; the scheduler itself holds only logic.
 */

export interface AllocatedGpu {
  readonly index: number;
  readonly uuid: string;
  /** Share of this GPU in milli (1000 for a whole GPU). */
  readonly milli: number;
}

/** One pod's allocation as it is committed to PostgreSQL before the bind. */
export interface AllocationRecord {
  readonly podUid: string;
  readonly podNamespace: string;
  readonly podName: string;
  readonly nodeName: string;
  readonly gpus: readonly AllocatedGpu[];
  readonly predictedWatts: number;
  readonly powerLimitWatts: number | null;
  readonly priority: PriorityName;
  readonly tenant: string | null;
  /** `namespace/name` of the owning deployment, if any. */
  readonly deployment: string | null;
  readonly state: 'reserved' | 'bound';
}

export type CommitOutcome =
  | { readonly podUid: string; readonly committed: true }
  | {
      readonly podUid: string;
      readonly committed: false;
      readonly reason: string;
      /** Refused because a pod of the group already has an allocation row (one row per pod). */
      readonly alreadyAllocated?: boolean;
    };

export interface AllocationLedger {
  /**
   * Commit allocations, grouped so a gang commits all-or-nothing (`groups`: lists of indices
   * into `records`). A group the database refuses (a share over 1000 milli, a pod already
   * allocated) is reported, not thrown; an unreachable database throws.
   */
  commit(records: readonly AllocationRecord[], groups: readonly (readonly number[])[]): Promise<CommitOutcome[]>;
  markBound(podUids: readonly string[]): Promise<void>;
  release(podUids: readonly string[]): Promise<void>;
  list(): Promise<AllocationRecord[]>;
}

/** The cluster as the engine sees it, plus what the engine does not know (GPU UUIDs, products). */
export interface ClusterInventory {
  readonly cluster: ClusterInput;
  /** GPU UUIDs of each node by index. */
  readonly gpuUuids: ReadonlyMap<string, readonly string[]>;
  readonly products: ReadonlyMap<string, GpuProductInfo>;
}

export type BindOutcome = 'bound' | 'gone' | 'conflict';

/** A pod bound to a node with the GPUs the placement gave it (and its power cap, if any). */
export interface BindRequest {
  namespace: string;
  name: string;
  uid: string;
  nodeName: string;
  gpus: readonly { index: number; uuid: string }[];
  powerLimitWatts?: number;
}

export interface SchedulingCluster {
  /** Bind with the GPU annotations; transient failures throw. */
  bind(req: BindRequest): Promise<BindOutcome>;
  /** Where the pod is bound now (null: not bound, 'gone': no such pod); after an ambiguous bind failure. */
  boundNode(req: { namespace: string; name: string; uid: string }): Promise<string | null | 'gone'>;
  /** Through the Eviction API; resolves when evicted or already gone. */
  evict(req: { namespace: string; name: string; uid: string }): Promise<void>;
  /** Kubernetes Events on the pod (fire and forget: an event that cannot be written is logged). */
  recordEvent(
    pod: PodView,
    type: 'Normal' | 'Warning',
    reason: 'Scheduled' | 'FailedScheduling' | 'Preempted' | 'Released',
    message: string,
  ): void;
}

export interface SchedulingLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

/** Counters the scheduler reports; the Nest shell maps them onto Prometheus metrics. */
export interface SchedulingMetricsHook {
  attempt?(result: 'scheduled' | 'unschedulable' | 'error', pods: number): void;
  bindLatency?(seconds: number): void;
  queueDepth?(depth: number): void;
  /** Victim pods the Eviction API accepted to evict, each counted once per eviction. */
  preemption?(victims: number): void;
  /** Engine time for one unit (placement, and the preemption plan when it does not fit). */
  decisionLatency?(seconds: number): void;
  /** Pods now waiting because they do not fit, for one reason label (called when the count changes). */
  unschedulablePods?(reason: string, pods: number): void;
}
