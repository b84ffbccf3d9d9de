import type { Explanation } from '@switchyard/placement';
import type { PodView } from './pod-model';
import type { PodSchedulingRequest } from './pod-request';
import type { SchedulingCluster, SchedulingMetricsHook } from './scheduling-ports';
import { INVALID_REQUEST, UnschedulableTally } from './unschedulable-tally';

/** The latest reason a pod is not placed, for the explanation endpoint and the deployment status. */
export interface PodExplanation {
  readonly namespace: string;
  readonly name: string;
  readonly message: string;
  readonly powerLimited: boolean;
  readonly reasons: Explanation['reasons'];
  readonly at: string;
  readonly attempts: number;
}

/** Why a pod is not placed; `label` is the unschedulable gauge's reason (default: a request refused before the engine). */
export interface UnschedulableReason {
  readonly message: string;
  readonly powerLimited: boolean;
  readonly reasons: Explanation['reasons'];
  readonly label?: string;
}

/** How often the same FailedScheduling message is repeated on a pod, as kube-scheduler's event aggregation shows it. */
const REPEAT_EVENT_MS = 60_000;

/**
 * Tells users and operators why pods wait: the latest explanation per pod, a FailedScheduling
 * Event per distinct message, and the tally of waiting pods by main reason behind the gauge.
 */
export class UnschedulableReporter {
  private readonly explanations = new Map<string, PodExplanation>();
  private readonly lastEvent = new Map<string, { message: string; at: number }>();
  private readonly tally: UnschedulableTally;

  constructor(
    private readonly cluster: Pick<SchedulingCluster, 'recordEvent'>,
    private readonly podOf: (key: string) => PodView | undefined,
    private readonly now: () => number,
    metrics?: SchedulingMetricsHook,
  ) {
    this.tally = new UnschedulableTally((reason, pods) => metrics?.unschedulablePods?.(reason, pods));
  }

  explain(key: string, why: UnschedulableReason, attempts: number): void {
    const pod = this.podOf(key);
    if (!pod) return;
    this.tally.set(key, why.label ?? INVALID_REQUEST);
    this.remember(key, pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '', why, attempts);
    const last = this.lastEvent.get(key);
    if (!last || last.message !== why.message || this.now() - last.at > REPEAT_EVENT_MS) {
      this.lastEvent.set(key, { message: why.message, at: this.now() });
      this.cluster.recordEvent(pod, 'Warning', 'FailedScheduling', why.message);
    }
  }

  /** Members of an incomplete gang: explained (no event: nothing was attempted), not counted as unschedulable. */
  waitingForGang(members: readonly PodSchedulingRequest[], message: string): void {
    for (const m of members) {
      this.tally.delete(m.key);
      this.remember(m.key, m.namespace, m.name, { message, powerLimited: false, reasons: [] }, 0);
    }
  }

  /** The pod is bound: nothing to explain. */
  placed(key: string): void {
    this.explanations.delete(key);
    this.tally.delete(key);
  }

  /** The pod no longer waits (bound elsewhere, terminating, finished); its last explanation stays readable. */
  notWaiting(key: string): void {
    this.tally.delete(key);
  }

  /** The pod is gone. */
  forget(key: string): void {
    this.placed(key);
    this.lastEvent.delete(key);
  }

  /** Not leading: a follower reports no waiting pods. */
  clearTally(): void {
    this.tally.clear();
  }

  /** Keys of the pods with an explanation (some were refused before the engine and may fit a new catalog). */
  explained(): string[] {
    return [...this.explanations.keys()];
  }

  explanation(namespace: string, name: string): PodExplanation | undefined {
    return this.explanations.get(`${namespace}/${name}`);
  }

  explanationsFor(namespace: string, podNames: readonly string[]): Map<string, PodExplanation> {
    const out = new Map<string, PodExplanation>();
    for (const n of podNames) {
      const e = this.explanations.get(`${namespace}/${n}`);
      if (e) out.set(`${namespace}/${n}`, e);
    }
    return out;
  }

  get size(): number {
    return this.explanations.size;
  }

  private remember(key: string, namespace: string, name: string, why: UnschedulableReason, attempts: number): void {
    const { message, powerLimited, reasons } = why;
    const at = new Date(this.now()).toISOString();
    this.explanations.set(key, { namespace, name, message, powerLimited, reasons, at, attempts });
  }
}
