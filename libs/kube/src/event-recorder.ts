/**
 * Kubernetes Events for what the scheduler decided, as `kubectl describe` shows them.
 * A repeat of the same event (same object, type, reason and message) within the aggregation
 * window increments the existing Event's count instead of creating another, as kubelet and
 * kube-scheduler do, so a pod retried every few seconds does not flood etcd.
 * Recording is best effort: it never throws into the scheduling path.
 */
import { randomBytes } from 'node:crypto';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { ClusterConnection } from './cluster-connection';
import { toKubeApiError } from './kube-errors';
import { silentLogger, type KubeLogger } from './kube-logger';

export type EventType = 'Normal' | 'Warning';
/** The reasons Switchyard emits; kube-scheduler uses the same words for the same facts. */
export type SchedulingEventReason =
  'FailedScheduling' | 'Scheduled' | 'Preempted' | 'Evicted' | 'PowerCapped' | (string & {});

export interface InvolvedObject {
  readonly apiVersion?: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

export interface EventRecorderOptions {
  /** `source.component` / `reportingComponent`, e.g. `switchyard-scheduler`. */
  readonly component: string;
  /** `reportingInstance`, e.g. the pod name of this replica. */
  readonly instance?: string;
  readonly aggregationWindowMs?: number;
  /** Distinct (object, reason, message) keys remembered for aggregation. */
  readonly maxTracked?: number;
  readonly logger?: KubeLogger;
  readonly onRecordFailed?: (reason: string) => void;
}

interface Tracked {
  readonly eventName: string;
  readonly namespace: string;
  count: number;
  readonly firstSeen: number;
}

export type RecordOutcome = 'created' | 'aggregated' | 'failed';

export class EventRecorder {
  private readonly tracked = new Map<string, Tracked>();
  private readonly windowMs: number;
  private readonly maxTracked: number;
  private readonly logger: KubeLogger;

  constructor(
    private readonly conn: ClusterConnection,
    private readonly opts: EventRecorderOptions,
  ) {
    this.windowMs = opts.aggregationWindowMs ?? 10 * 60_000;
    this.maxTracked = opts.maxTracked ?? 4096;
    this.logger = opts.logger ?? silentLogger;
  }

  async record(
    involved: InvolvedObject,
    type: EventType,
    reason: SchedulingEventReason,
    message: string,
  ): Promise<RecordOutcome> {
    const msg = message.length > 1024 ? `${message.slice(0, 1021)}...` : message;
    const key = JSON.stringify([involved.namespace, involved.name, involved.uid ?? '', type, reason, msg]);
    const now = new Date();
    const seen = this.tracked.get(key);
    try {
      if (seen && now.getTime() - seen.firstSeen < this.windowMs) {
        const aggregated = await this.bump(seen, now);
        if (aggregated) {
          // Keep the map in recency order for the size bound.
          this.tracked.delete(key);
          this.tracked.set(key, seen);
          return 'aggregated';
        }
      }
      const eventName = `${involved.name}.${now.getTime().toString(16)}${randomBytes(3).toString('hex')}`;
      await this.conn.core.createNamespacedEvent({
        namespace: involved.namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: eventName, namespace: involved.namespace },
          involvedObject: {
            apiVersion: involved.apiVersion ?? 'v1',
            kind: involved.kind,
            namespace: involved.namespace,
            name: involved.name,
            uid: involved.uid,
          },
          type,
          reason,
          message: msg,
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
          source: { component: this.opts.component },
          reportingComponent: this.opts.component,
          reportingInstance: this.opts.instance ?? '',
          action: reason,
        },
      });
      this.tracked.delete(key);
      this.tracked.set(key, { eventName, namespace: involved.namespace, count: 1, firstSeen: now.getTime() });
      while (this.tracked.size > this.maxTracked) this.tracked.delete(this.tracked.keys().next().value as string);
      return 'created';
    } catch (err) {
      const e = toKubeApiError(
        err,
        `record event ${reason} for ${involved.kind} ${involved.namespace}/${involved.name}`,
      );
      this.logger.warn({ err: e.message }, 'could not record a Kubernetes event');
      this.opts.onRecordFailed?.(reason);
      return 'failed';
    }
  }

  /** false when the Event is gone (expired by the API server's TTL): create a new one. */
  private async bump(seen: Tracked, now: Date): Promise<boolean> {
    try {
      await this.conn.core.patchNamespacedEvent(
        {
          name: seen.eventName,
          namespace: seen.namespace,
          body: { count: seen.count + 1, lastTimestamp: now.toISOString() },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      seen.count += 1;
      return true;
    } catch (err) {
      if (toKubeApiError(err, 'aggregate event').isNotFound) return false;
      throw err;
    }
  }
}
