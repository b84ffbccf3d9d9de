import type { PodPlacement, PodRequest, ReplicaRequest } from '@switchyard/placement';
import type { ClusterState } from '../cluster-state/cluster-state';
import type { AllocationRecord } from './scheduling-ports';

/** A pod this leader placed: its allocation and what the engine was given for it. */
export interface PlacedPodState {
  readonly record: AllocationRecord;
  /** The engine replica it belongs to (a gang's unit key, or the pod's own key). */
  readonly replicaId: string;
  readonly request: PodRequest;
  readonly placement: PodPlacement;
  readonly unitRequest: Omit<ReplicaRequest, 'pods'>;
}

/**
 * The pods placed in this term (decided, committed or bound), kept in step with the engine
 * of the cluster state, indexed by gang unit (so a gang with members bound before a restart
 * can complete) and by engine replica (so releasing one gang member finds the others without
 * a scan).
 */
export class PlacedPods {
  private readonly byPod = new Map<string, PlacedPodState>();
  private readonly perUnit = new Map<string, Set<string>>();
  private readonly unitOfPod = new Map<string, string>();
  private readonly perReplica = new Map<string, Set<string>>();

  /** @param gangUnitOf the gang unit a pod belongs to, read from its labels (undefined: not in a gang). */
  constructor(
    private readonly state: ClusterState,
    private readonly gangUnitOf: (podKey: string) => string | undefined,
  ) {}

  get(key: string): PlacedPodState | undefined {
    return this.byPod.get(key);
  }

  has(key: string): boolean {
    return this.byPod.has(key);
  }

  /** Whether `key` is placed as this very pod (a pod recreated under the same name is another). */
  holds(key: string, uid: string): boolean {
    return this.byPod.get(key)?.record.podUid === uid;
  }

  get size(): number {
    return this.byPod.size;
  }

  /** Placed pods of a gang unit, so the rest of the gang can be decided without them. */
  boundMembers(unitKey: string): number {
    return this.perUnit.get(unitKey)?.size ?? 0;
  }

  /** Placed pods of an engine replica (a preemption victim names replicas). */
  replicaMembers(replicaId: string): readonly string[] {
    return [...(this.perReplica.get(replicaId) ?? [])];
  }

  set(key: string, placed: PlacedPodState): void {
    const previous = this.byPod.get(key);
    if (previous && previous.replicaId !== placed.replicaId) this.removeReplicaMember(previous.replicaId, key);
    this.byPod.set(key, placed);
    let replica = this.perReplica.get(placed.replicaId);
    if (!replica) this.perReplica.set(placed.replicaId, (replica = new Set()));
    replica.add(key);
    const unit = this.unitOfPod.get(key) ?? this.gangUnitOf(key);
    if (unit === undefined) return;
    this.unitOfPod.set(key, unit);
    let members = this.perUnit.get(unit);
    if (!members) this.perUnit.set(unit, (members = new Set()));
    members.add(key);
  }

  /**
   * Forget a pod and release its replica in the engine; returns what it held. The rest of a
   * gang stays placed: its other members are re-adopted one by one.
   */
  drop(key: string): PlacedPodState | undefined {
    const dropped = this.byPod.get(key);
    if (!dropped) return undefined;
    this.forget(key, dropped);
    const replicaId = this.state.replicaOfPod(key);
    if (replicaId === undefined) return dropped;
    this.state.release(replicaId);
    for (const otherKey of this.replicaMembers(replicaId)) {
      const other = this.byPod.get(otherKey) as PlacedPodState;
      this.state.adopt({
        replica: { ...other.unitRequest, id: otherKey, topology: null, pods: [other.request] },
        pods: [other.placement],
      });
      this.set(otherKey, { ...other, replicaId: otherKey });
    }
    return dropped;
  }

  clear(): void {
    this.byPod.clear();
    this.perUnit.clear();
    this.unitOfPod.clear();
    this.perReplica.clear();
  }

  private forget(key: string, placed: PlacedPodState): void {
    this.removeReplicaMember(placed.replicaId, key);
    this.byPod.delete(key);
    const unit = this.unitOfPod.get(key);
    this.unitOfPod.delete(key);
    const members = unit === undefined ? undefined : this.perUnit.get(unit);
    members?.delete(key);
    if (unit !== undefined && members?.size === 0) this.perUnit.delete(unit);
  }

  private removeReplicaMember(replicaId: string, key: string): void {
    const members = this.perReplica.get(replicaId);
    members?.delete(key);
    if (members?.size === 0) this.perReplica.delete(replicaId);
  }
}
