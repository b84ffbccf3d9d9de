import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registeredCounter, registeredGauge, registeredHistogram } from './registered-metrics';
import { leader } from './replica-metric-definitions';
import {
  kubeWatchEventsTotal,
  kubeWatchRestartsTotal,
  preemptionVictimsTotal,
  schedulingAttemptsTotal,
  schedulingBindDurationSeconds,
  schedulingDecisionDurationSeconds,
  schedulingEventsDroppedTotal,
  schedulingQueuePods,
  schedulingUnschedulablePods,
} from './scheduling-metric-definitions';

/**
 * The scheduler's and the informers' Prometheus metrics, on the control plane's registry so
 * /metrics shows them. Its methods are the scheduler's and the informers' metrics hooks.
 */
export class SchedulingMetrics {
  private readonly attempts: Counter<'result'>;
  private readonly bindSeconds: Histogram<never>;
  private readonly queue: Gauge<never>;
  private readonly leader: Gauge<never>;
  private readonly informerEvents: Counter<'resource' | 'type'>;
  private readonly informerRestarts: Counter<'resource' | 'reason'>;
  private readonly preemptions: Counter<never>;
  private readonly decisionSeconds: Histogram<never>;
  private readonly unschedulable: Gauge<'reason'>;
  private readonly eventsDropped: Counter<'reason'>;

  constructor(registry: Registry) {
    this.attempts = registeredCounter(registry, schedulingAttemptsTotal);
    this.bindSeconds = registeredHistogram(registry, schedulingBindDurationSeconds);
    this.queue = registeredGauge(registry, schedulingQueuePods);
    this.leader = registeredGauge(registry, leader);
    this.informerEvents = registeredCounter(registry, kubeWatchEventsTotal);
    this.informerRestarts = registeredCounter(registry, kubeWatchRestartsTotal);
    this.preemptions = registeredCounter(registry, preemptionVictimsTotal);
    this.decisionSeconds = registeredHistogram(registry, schedulingDecisionDurationSeconds);
    this.unschedulable = registeredGauge(registry, schedulingUnschedulablePods);
    this.eventsDropped = registeredCounter(registry, schedulingEventsDroppedTotal);
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
