import type { PodSchedulingRequest } from './pod-request';

/** What the queue holds and the engine decides at once: one pod, or every pending pod of a gang. */
export interface SchedulingUnit {
  readonly key: string;
  readonly pods: readonly PodSchedulingRequest[];
  readonly priorityValue: number;
  readonly gangId: string | null;
}

export function gangUnitKey(namespace: string, gangId: string): string {
  return `gang:${namespace}/${gangId}`;
}

export function unitKeyOf(request: PodSchedulingRequest): string {
  return request.gang ? gangUnitKey(request.namespace, request.gang.id) : request.key;
}

/** What the assembly needs to know of placed pods: members placed count as present and are not decided again. */
export interface PlacedMembers {
  /** Placed members of a gang unit (bound, or adopted after a restart). */
  boundMembers(unitKey: string): number;
  has(podKey: string): boolean;
}

const NONE_PLACED: PlacedMembers = { boundMembers: () => 0, has: () => false };

/**
 * Collects the pending pods of each gang and releases a gang as one unit only when every
 * member is there (pending now, or already bound after a restart), so a gang is decided
 * all-or-nothing and never half-placed because its last pod was slow to be created.
 */
export class GangAssembly {
  private readonly members = new Map<string, Map<string, PodSchedulingRequest>>();
  private readonly unitOfPod = new Map<string, string>();

  constructor(private readonly placed: PlacedMembers = NONE_PLACED) {}

  /** Record a pending pod; returns the unit key it belongs to. */
  add(request: PodSchedulingRequest): string {
    const key = unitKeyOf(request);
    const previous = this.unitOfPod.get(request.key);
    if (previous !== undefined && previous !== key) this.remove(request.key);
    let group = this.members.get(key);
    if (!group) this.members.set(key, (group = new Map()));
    group.set(request.key, request);
    this.unitOfPod.set(request.key, key);
    return key;
  }

  /** Forget a pod (bound, deleted, or no longer ours); returns its unit key, if it had one. */
  remove(podKey: string): string | undefined {
    const key = this.unitOfPod.get(podKey);
    if (key === undefined) return undefined;
    this.unitOfPod.delete(podKey);
    const group = this.members.get(key);
    group?.delete(podKey);
    if (group && group.size === 0) this.members.delete(key);
    return key;
  }

  /** The unit if it can be decided now: a single pod, or a gang with every member present. */
  unit(key: string): SchedulingUnit | undefined {
    const pods = this.pending(key).sort(
      (a, b) => (a.gang?.member ?? 0) - (b.gang?.member ?? 0) || (a.key < b.key ? -1 : 1),
    );
    if (pods.length === 0) return undefined;
    const first = pods[0];
    if (first.gang) {
      const size = first.gang.size;
      if (pods.length + this.placed.boundMembers(key) < size) return undefined;
      // Two pods claiming the same member index (a stale pod from an old template) must not both count.
      if (new Set(pods.map((p) => p.gang?.member)).size !== pods.length) return undefined;
    }
    return { key, pods, priorityValue: Math.max(...pods.map((p) => p.priorityValue)), gangId: first.gang?.id ?? null };
  }

  /**
   * Members of a unit still to be decided (complete or not). A member placed since it was
   * added stays known until it goes, but only as a placed member: deciding it again would
   * never succeed, and the unit would be retried every cycle.
   */
  pending(key: string): PodSchedulingRequest[] {
    return [...(this.members.get(key)?.values() ?? [])].filter((p) => !this.placed.has(p.key));
  }

  unitKeyOfPod(podKey: string): string | undefined {
    return this.unitOfPod.get(podKey);
  }
}
