/**
 * Kubernetes Events for what the scheduler decided, as `kubectl describe` shows them.
 * A repeat of the same event (same object, type, reason and message) within the aggregation
 * window increments the existing Event's count instead of creating another, as kubelet and
 * kube-scheduler do, so a pod retried every few seconds does not flood etcd.
 * Recording is best effort: it never throws into the scheduling path. `emit` is what a hot
 * path calls: like kube-scheduler's event broadcaster it only queues (bounded; a full queue
 * drops the new event and counts it) and a few background writers send the queue, so an
 * Event never delays a bind.
 */
import { randomBytes } from 'node:crypto';
import type { ClusterConnection } from './cluster-connection';
import { toKubeApiError } from './kube-errors';
import { MERGE_PATCH, collectionPath } from './kube-objects';
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
  /** Events `emit` may hold before it drops new ones (default 1000, as kube-scheduler's broadcaster). */
  readonly maxQueued?: number;
  /** Event writes in flight at once from the `emit` queue (default 1, as client-go's event sink). */
  readonly writers?: number;
  /** Called for each event `emit` dropped because the queue was full. */
  readonly onDropped?: (reason: string) => void;
}

interface QueuedEvent {
  readonly involved: InvolvedObject;
  readonly type: EventType;
  readonly reason: SchedulingEventReason;
  readonly message: string;
}

interface Tracked {
  readonly eventName: string;
  readonly namespace: string;
  count: number;
  readonly firstSeen: number;
}

export type RecordOutcome = 'created' | 'aggregated' | 'failed';

/** First in, first out with O(1) push and shift: an array with a moving head, compacted now and then. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

export class EventRecorder {
  private readonly tracked = new Map<string, Tracked>();
  private readonly windowMs: number;
  private readonly maxTracked: number;
  private readonly logger: KubeLogger;
  /** Warnings (FailedScheduling, Preempted) are written before, and never dropped for, Normal events. */
  private readonly warnings = new Fifo<QueuedEvent>();
  private readonly normals = new Fifo<QueuedEvent>();
  private writing = 0;
  private idleWaiters: (() => void)[] = [];
  private droppedCount = 0;
  private closed = false;
  private sequence = 0;
  private readonly tag = randomBytes(3).toString('hex');

  constructor(
    private readonly conn: ClusterConnection,
    private readonly opts: EventRecorderOptions,
  ) {
    this.windowMs = opts.aggregationWindowMs ?? 10 * 60_000;
    this.maxTracked = opts.maxTracked ?? 4096;
    this.logger = opts.logger ?? silentLogger;
  }

  /**
   * Queue an event and return at once (never throws, never waits for the API). With the queue
   * full the event is dropped and counted (returns false), unless it is a Warning and a Normal
   * event is waiting: then the oldest Normal one is dropped instead.
   */
  emit(involved: InvolvedObject, type: EventType, reason: SchedulingEventReason, message: string): boolean {
    if (this.closed) return false;
    if (this.warnings.size + this.normals.size >= (this.opts.maxQueued ?? 1000)) {
      const dropped = type === 'Warning' ? this.normals.shift() : undefined;
      this.droppedCount += 1;
      this.opts.onDropped?.(dropped ? dropped.reason : reason);
      if (!dropped) return false;
    }
    (type === 'Warning' ? this.warnings : this.normals).push({ involved, type, reason, message });
    if (this.writing < (this.opts.writers ?? 1)) {
      this.writing += 1;
      void this.drain();
    }
    return true;
  }

  /** Stop writing: queued events are dropped, later ones ignored (shutdown, lost leadership of the API). */
  close(): void {
    this.closed = true;
    while (this.warnings.shift() ?? this.normals.shift());
  }

  /** Events `emit` dropped so far because its queue was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Resolves when every event emitted so far has been written (or has failed). */
  flush(): Promise<void> {
    if (this.writing === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    try {
      for (let e = this.warnings.shift() ?? this.normals.shift(); e; e = this.warnings.shift() ?? this.normals.shift())
        await this.record(e.involved, e.type, e.reason, e.message).catch(() => undefined); // best effort, as emit promised
    } finally {
      // A writer that stopped must say so, or the queue would wait for it for good.
      this.writing -= 1;
      if (this.writing === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** True once `close()` was called: `emit` ignores events from then on. */
  get isClosed(): boolean {
    return this.closed;
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
      // Unique without a random draw per event: time, a per-recorder counter, a per-recorder random tag.
      this.sequence = (this.sequence + 1) % 0x1000;
      const eventName = `${involved.name}.${now.getTime().toString(16)}${this.sequence.toString(16).padStart(3, '0')}${this.tag}`;
      // Raw JSON: the generated client's serializers cost more CPU than the request.
      await this.conn.request({
        method: 'POST',
        path: collectionPath('v1', 'events', involved.namespace),
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
          firstTimestamp: now.toISOString(),
          lastTimestamp: now.toISOString(),
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
      await this.conn.request({
        method: 'PATCH',
        path: `${collectionPath('v1', 'events', seen.namespace)}/${encodeURIComponent(seen.eventName)}`,
        contentType: MERGE_PATCH,
        body: { count: seen.count + 1, lastTimestamp: now.toISOString() },
      });
      seen.count += 1;
      return true;
    } catch (err) {
      if (toKubeApiError(err, 'aggregate event').isNotFound) return false;
      throw err;
    }
  }
}
