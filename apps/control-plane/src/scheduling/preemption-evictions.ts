import type { PlacedPods } from './placed-pods';
import type { PodView } from './pod-model';
import type { SchedulingCluster, SchedulingLogger, SchedulingMetricsHook } from './scheduling-ports';

interface Eviction {
  readonly key: string;
  readonly uid: string;
  readonly by: string;
  readonly nodes: readonly string[];
}

export interface PreemptionEvictionsDeps {
  readonly cluster: Pick<SchedulingCluster, 'evict' | 'recordEvent'>;
  readonly placed: PlacedPods;
  readonly podOf: (key: string) => PodView | undefined;
  readonly logger: SchedulingLogger;
  readonly metrics?: SchedulingMetricsHook;
  /** The API refused to evict this victim: whoever waits for it must plan again. */
  readonly refused: (victimKey: string) => void;
}

/**
 * The evictions preemption plans ask for, run through the Eviction API after each batch (so
 * disruption budgets and grace periods hold). A victim is evicted, evented and counted once
 * per eviction: while it terminates, further plans (its own preemptor's, or other preemptors'
 * that pick the same lower-priority pods, as the engine still holds them) wait for it instead
 * of evicting it again. A refused eviction may be asked for again later.
 */
export class PreemptionEvictions {
  private readonly pending: Eviction[] = [];
  /** Victim pod key -> the uid evicted (or about to be): a pod recreated under the same name is not being evicted. */
  private readonly evicting = new Map<string, string>();

  constructor(private readonly deps: PreemptionEvictionsDeps) {}

  /** Evict these victims (pod key -> uid) for preemptor `by`, who is to be placed on `nodes`. */
  request(victims: ReadonlyMap<string, string>, by: string, nodes: readonly string[]): void {
    for (const [key, uid] of victims) {
      if (this.evicting.get(key) === uid) continue;
      this.evicting.set(key, uid);
      this.pending.push({ key, uid, by, nodes });
    }
  }

  /** The pod is gone (or replaced): its eviction is over. */
  podGone(key: string): void {
    this.evicting.delete(key);
  }

  async run(): Promise<void> {
    const evictions = this.pending.splice(0);
    let evicted = 0;
    await Promise.all(
      evictions.map(async (e) => {
        if (await this.evict(e)) evicted += 1;
      }),
    );
    if (evicted > 0) this.deps.metrics?.preemption?.(evicted);
  }

  /** A new term: planned evictions are dropped (the next leader plans its own). */
  clear(): void {
    this.pending.length = 0;
    this.evicting.clear();
  }

  private async evict({ key, uid, by, nodes }: Eviction): Promise<boolean> {
    const placed = this.deps.placed.get(key);
    const pod = this.deps.podOf(key);
    if (!placed || !pod || placed.record.podUid !== uid) return false;
    try {
      await this.deps.cluster.evict({ namespace: placed.record.podNamespace, name: placed.record.podName, uid });
    } catch (error) {
      this.deps.logger.warn(
        { victim: key, by, err: String((error as Error)?.message ?? error) },
        'eviction refused or failed; the preemptor will plan again',
      );
      if (this.evicting.get(key) === uid) this.evicting.delete(key);
      this.deps.refused(key);
      return false;
    }
    this.deps.cluster.recordEvent(
      pod,
      'Warning',
      'Preempted',
      `Preempted by ${by.replace(/^gang:/, '')} (higher priority) to make room on ${nodes.length > 0 ? nodes.join(', ') : placed.record.nodeName}`,
    );
    this.deps.logger.info({ victim: key, by }, 'preempted');
    return true;
  }
}
