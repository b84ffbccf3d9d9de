import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
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

  constructor(registry: Registry) {
    const registers = [registry];
    const existing = (name: string) => registry.getSingleMetric(name);
    this.attempts =
      (existing('switchyard_scheduling_attempts_total') as Counter<'result'>) ??
      new Counter({
        name: 'switchyard_scheduling_attempts_total',
        help: 'Pods the scheduler tried to place, by result (scheduled, unschedulable, error)',
        labelNames: ['result'],
        registers,
      });
    this.bindSeconds =
      (existing('switchyard_scheduling_bind_duration_seconds') as Histogram<string>) ??
      new Histogram({
        name: 'switchyard_scheduling_bind_duration_seconds',
        help: 'Time from the start of a bind batch to each successful bind',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers,
      });
    this.queue =
      (existing('switchyard_scheduling_queue_pods') as Gauge<string>) ??
      new Gauge({ name: 'switchyard_scheduling_queue_pods', help: 'Scheduling units waiting in the queue', registers });
    this.leader =
      (existing('switchyard_leader') as Gauge<string>) ??
      new Gauge({
        name: 'switchyard_leader',
        help: '1 when this replica is the leader (schedules and reconciles), else 0',
        registers,
      });
    this.informerEvents =
      (existing('switchyard_kube_watch_events_total') as Counter<'resource' | 'type'>) ??
      new Counter({
        name: 'switchyard_kube_watch_events_total',
        help: 'Watch events received by informers',
        labelNames: ['resource', 'type'],
        registers,
      });
    this.informerRestarts =
      (existing('switchyard_kube_watch_restarts_total') as Counter<'resource' | 'reason'>) ??
      new Counter({
        name: 'switchyard_kube_watch_restarts_total',
        help: 'Informer watch restarts, by reason (gone, error, stale, closed)',
        labelNames: ['resource', 'reason'],
        registers,
      });
    this.preemptions =
      (existing('switchyard_preemption_victims_total') as Counter<string>) ??
      new Counter({
        name: 'switchyard_preemption_victims_total',
        help: 'Pods evicted to make room for higher priority',
        registers,
      });
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
