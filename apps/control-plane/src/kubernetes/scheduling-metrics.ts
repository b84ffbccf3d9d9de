import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { counter, gauge, histogram } from './registered-metrics';
import type { InformerMetricsHook } from '@switchyard/kube';
import type { SchedulingMetricsHook } from '../scheduling/scheduling-ports';

/**
 * The scheduler's Prometheus metrics (bounded labels only: result, resource, event type).
 * Registered on the control plane's registry so /metrics shows them.
 */
export class SchedulingMetrics implements SchedulingMetricsHook, InformerMetricsHook {
  private readonly attempts: Counter<'result'>;
  private readonly bindSeconds: Histogram<string>;
  private readonly queue: Gauge<string>;
  private readonly leader: Gauge<string>;
  private readonly informerEvents: Counter<'resource' | 'type'>;
  private readonly informerRestarts: Counter<'resource' | 'reason'>;
  private readonly preemptions: Counter<string>;
  private readonly decisionSeconds: Histogram<string>;
  private readonly unschedulable: Gauge<'reason'>;
  private readonly eventsDropped: Counter<'reason'>;

  constructor(registry: Registry) {
    this.attempts = counter(registry, {
      name: 'switchyard_scheduling_attempts_total',
      help: 'Pods the scheduler tried to place, by result (scheduled, unschedulable, error)',
      labelNames: ['result'],
    });
    this.bindSeconds = histogram(registry, {
      name: 'switchyard_scheduling_bind_duration_seconds',
      help: 'Time from the start of a bind batch to each successful bind',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    this.queue = gauge(registry, {
      name: 'switchyard_scheduling_queue_pods',
      help: 'Scheduling units waiting in the queue',
    });
    this.leader = gauge(registry, {
      name: 'switchyard_leader',
      help: '1 when this replica is the leader (schedules and reconciles), else 0',
    });
    this.informerEvents = counter(registry, {
      name: 'switchyard_kube_watch_events_total',
      help: 'Watch events received by informers',
      labelNames: ['resource', 'type'],
    });
    this.informerRestarts = counter(registry, {
      name: 'switchyard_kube_watch_restarts_total',
      help: 'Informer watch restarts, by reason (gone, error, stale, closed)',
      labelNames: ['resource', 'reason'],
    });
    this.preemptions = counter(registry, {
      name: 'switchyard_preemption_victims_total',
      help: 'Pods evicted to make room for higher priority',
    });
    this.decisionSeconds = histogram(registry, {
      name: 'switchyard_scheduling_decision_duration_seconds',
      help: 'Placement engine time per scheduling unit (a pod or a gang): the decision, plus the preemption plan when it does not fit',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    });
    this.unschedulable = gauge(registry, {
      name: 'switchyard_scheduling_unschedulable_pods',
      help: 'Pods waiting because they do not fit now, by the placement reason that excluded the most nodes (invalid-request: refused before placement; no-nodes: no node at all). Only the leader reports them.',
      labelNames: ['reason'],
    });
    this.eventsDropped = counter(registry, {
      name: 'switchyard_scheduling_events_dropped_total',
      help: "Kubernetes Events not sent because the recorder's queue was full, by the Event's reason",
      labelNames: ['reason'],
    });
  }

  decisionLatency(seconds: number): void {
    this.decisionSeconds.observe(seconds);
  }
  unschedulablePods(reason: string, pods: number): void {
    this.unschedulable.set({ reason }, pods);
  }
  /** An Event the recorder's full queue dropped (`reason`: the Event's reason, a fixed set). */
  eventDropped(reason: string): void {
    this.eventsDropped.inc({ reason });
  }
  attempt(result: 'scheduled' | 'unschedulable' | 'error', pods: number): void {
    this.attempts.inc({ result }, pods);
  }
  bindLatency(seconds: number): void {
    this.bindSeconds.observe(seconds);
  }
  queueDepth(depth: number): void {
    this.queue.set(depth);
  }
  preemption(victims: number): void {
    this.preemptions.inc(victims);
  }
  setLeader(leading: boolean): void {
    this.leader.set(leading ? 1 : 0);
  }
  onEvent(resource: string, type: string): void {
    this.informerEvents.inc({ resource, type });
  }
  onRestart(resource: string, reason: string): void {
    this.informerRestarts.inc({ resource, reason });
  }
}
