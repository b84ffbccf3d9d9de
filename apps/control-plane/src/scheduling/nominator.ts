import { PlacementInputError, type PodPlacement, type ReplicaRequest } from '@switchyard/placement';
import type { ClusterState } from '../cluster-state/cluster-state';
import type { PlacedPods } from './placed-pods';
import type { PreemptionEvictions } from './preemption-evictions';

interface Nomination {
  /** Victim pod key -> its uid: a pod recreated under the same name (StatefulSet) is not the victim. */
  readonly victims: ReadonlyMap<string, string>;
  /** Where the plan puts the preemptor: reserved for it while its victims go. */
  readonly nodes: ReadonlySet<string>;
  readonly priority: number;
}

export interface NominatorDeps {
  readonly state: ClusterState;
  readonly placed: PlacedPods;
  readonly evictions: PreemptionEvictions;
  /** A reservation that held a unit back was cleared: retry the waiting units. */
  readonly retryAll: () => void;
}

/**
 * Preemption, as kube-scheduler's nominator and preemption plugin: for a unit that does not
 * fit, the engine picks the cheapest set of lower-priority replicas (whole gangs, on one node
 * or several) whose eviction lets it fit; they are evicted and the preemptor waits, nominated
 * to the nodes of its plan, until their release retries it; it is then placed all or nothing
 * like any gang. Those nodes are reserved: a unit of lower priority is not placed there
 * meanwhile, or a controller's replacement of a victim would take the room freed for the
 * preemptor.
 */
export class Nominator {
  private readonly nominated = new Map<string, Nomination>();
  /** A unit was held back by a reservation: clearing one retries the waiting units. */
  private heldBack = false;
  /** Bumped whenever placements, nodes or budgets change (a release, a commit, an inventory change). */
  private changes = 0;
  /** Preemptor unit -> `changes` when its last plan found no victims: nothing to plan until something changes. */
  private readonly noPlanAt = new Map<string, number>();

  constructor(private readonly deps: NominatorDeps) {}

  /** Something changed that could give a plan victims it did not find before. */
  changed(): void {
    this.changes += 1;
  }

  /**
   * Plan a preemption for a unit that did not fit. One plan per preemptor at a time. A plan
   * can take ~0.4 s at campus scale and runs in the cycle: it is attempted only when the
   * unit's placement fails, which the queue's per-unit backoff (1 s doubling to 10 s) bounds,
   * and not again while nothing changed since the last plan that found no victims.
   */
  planFor(unitKey: string, replica: ReplicaRequest): void {
    const waiting = this.nominated.get(unitKey);
    if (waiting && [...waiting.victims].some(([k, uid]) => this.deps.placed.holds(k, uid))) return;
    this.clear(unitKey);
    if ((replica.priority ?? 0) <= 0) return;
    if (this.noPlanAt.get(unitKey) === this.changes) return;
    this.noPlanAt.delete(unitKey);
    let plan;
    try {
      plan = this.deps.state.planPreemption(replica);
    } catch (error) {
      if (error instanceof PlacementInputError) return;
      throw error;
    }
    const victims = new Map<string, string>();
    for (const victim of plan?.victims ?? [])
      for (const key of this.deps.placed.replicaMembers(victim))
        victims.set(key, this.deps.placed.get(key)?.record.podUid ?? '');
    if (!plan || victims.size === 0) {
      this.noPlanAt.set(unitKey, this.changes);
      return;
    }
    const nodes = [...new Set(plan.placement.map((p) => p.nodeId))];
    this.nominated.set(unitKey, { victims, nodes: new Set(nodes), priority: replica.priority ?? 0 });
    this.deps.evictions.request(victims, unitKey, nodes);
  }

  /** The preemptor whose reserved nodes `pods` would use, if it has a higher priority; the unit is then held back. */
  heldBackBy(unitKey: string, priority: number, pods: readonly PodPlacement[]): string | undefined {
    for (const [by, n] of this.nominated) {
      if (by === unitKey || n.priority <= priority) continue;
      if (pods.some((p) => n.nodes.has(p.nodeId))) {
        this.heldBack = true;
        return by;
      }
    }
    return undefined;
  }

  /** The unit no longer needs its reservation (placed, gone, or its plan failed). */
  clear(unitKey: string): void {
    if (!this.nominated.delete(unitKey) || !this.heldBack) return;
    this.heldBack = false;
    this.deps.retryAll();
  }

  /** The unit was bound, or is no longer queued: its next failure plans afresh. */
  forget(unitKey: string): void {
    this.noPlanAt.delete(unitKey);
  }

  /** A victim cannot be evicted: every preemptor waiting for it plans again. */
  victimRefused(victimKey: string): void {
    for (const [by, n] of [...this.nominated]) if (n.victims.has(victimKey)) this.clear(by);
  }

  /** A new term: no reservations, no remembered plans. */
  reset(): void {
    this.nominated.clear();
    this.heldBack = false;
    this.noPlanAt.clear();
  }
}
