import type { ClusterState } from '../cluster-state/cluster-state';
import type { GangAssembly, SchedulingUnit } from './gang-assembly';
import type { Nominator } from './nominator';
import type { PlacedPods } from './placed-pods';
import { isPendingForSwitchyard, podKey, type PodView } from './pod-model';
import { translatePod, type PodSchedulingRequest } from './pod-request';
import type { SchedulingQueue } from './scheduling-queue';
import type { UnschedulableReporter } from './unschedulable-reporter';

export interface PendingPodsDeps {
  readonly state: Pick<ClusterState, 'catalog'>;
  readonly queue: SchedulingQueue<SchedulingUnit>;
  readonly gangs: GangAssembly;
  readonly placed: PlacedPods;
  readonly nominator: Nominator;
  readonly reporter: UnschedulableReporter;
  readonly podOf: (key: string) => PodView | undefined;
  readonly now: () => number;
  /** New work: the loop stops idling. */
  readonly wake: () => void;
}

/**
 * Pending pods into queued units: each is translated into a placement request (or explained
 * when it cannot be), collected with its gang, and queued as a unit once the unit is complete.
 */
export class PendingPods {
  constructor(private readonly deps: PendingPodsDeps) {}

  enqueue(pod: PodView): void {
    const { deps } = this;
    const key = podKey(pod);
    if (deps.placed.has(key)) return; // bound in flight; the informer is ahead of the bind result
    const result = translatePod(pod, deps.state.catalog);
    if (!result.ok) {
      this.dequeue(key);
      const message = `${result.rejection.field}: ${result.rejection.message}`;
      deps.reporter.explain(key, { message, powerLimited: false, reasons: [] }, 1);
      return;
    }
    const unitKey = deps.gangs.add(result.request);
    const unit = deps.gangs.unit(unitKey);
    if (unit) deps.queue.add(unitKey, unit, unit.priorityValue, deps.now());
    else if (result.request.gang) {
      const members = deps.gangs.pending(unitKey);
      const exist = members.length + deps.placed.boundMembers(unitKey);
      deps.reporter.waitingForGang(members, `waiting for the gang: ${exist}/${result.request.gang.size} members exist`);
    }
    deps.wake();
  }

  /** The pod no longer waits (deleted, terminating, replaced, refused): the rest of its gang, if any, stays queued. */
  dequeue(key: string): void {
    const { deps } = this;
    const unitKey = deps.gangs.remove(key) ?? key;
    const unit = deps.gangs.unit(unitKey);
    if (unit) deps.queue.add(unitKey, unit, unit.priorityValue, deps.now());
    else {
      deps.queue.remove(unitKey);
      deps.nominator.forget(unitKey);
      deps.nominator.clear(unitKey);
    }
  }

  /** Pods refused at translation (e.g. an unknown product) may fit a catalog that just changed: queue them again. */
  retryRefused(): void {
    for (const key of this.deps.reporter.explained()) {
      const pod = this.deps.podOf(key);
      if (pod && !this.deps.gangs.unitKeyOfPod(key) && isPendingForSwitchyard(pod)) this.enqueue(pod);
    }
  }

  /** Whether this very pod (by uid) still waits to be placed. */
  isStillPending(p: PodSchedulingRequest): boolean {
    const pod = this.deps.podOf(p.key);
    return !!pod && pod.metadata?.uid === p.uid && isPendingForSwitchyard(pod) && !this.deps.placed.has(p.key);
  }
}
