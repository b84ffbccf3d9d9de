import type { CounterDefinition, GaugeDefinition, HistogramDefinition } from './metric-definition';

/** The scheduler's and the informers' metrics (labels: result, reason, resource, event type). */

export const schedulingAttemptsTotal: CounterDefinition<'result'> = {
  type: 'counter',
  name: 'switchyard_scheduling_attempts_total',
  help: 'Pods the scheduler tried to place, by result (scheduled, unschedulable, error)',
  labelNames: ['result'],
};

export const schedulingBindDurationSeconds: HistogramDefinition<never> = {
  type: 'histogram',
  name: 'switchyard_scheduling_bind_duration_seconds',
  help: 'Time from the start of a bind batch to each successful bind',
  labelNames: [],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
};

export const schedulingQueuePods: GaugeDefinition<never> = {
  type: 'gauge',
  name: 'switchyard_scheduling_queue_pods',
  help: 'Scheduling units waiting in the queue',
  labelNames: [],
};

export const kubeWatchEventsTotal: CounterDefinition<'resource' | 'type'> = {
  type: 'counter',
  name: 'switchyard_kube_watch_events_total',
  help: 'Watch events received by informers',
  labelNames: ['resource', 'type'],
};

export const kubeWatchRestartsTotal: CounterDefinition<'resource' | 'reason'> = {
  type: 'counter',
  name: 'switchyard_kube_watch_restarts_total',
  help: 'Informer watch restarts, by reason (gone, error, stale, closed)',
  labelNames: ['resource', 'reason'],
};

export const preemptionVictimsTotal: CounterDefinition<never> = {
  type: 'counter',
  name: 'switchyard_preemption_victims_total',
  help: 'Pods evicted to make room for higher priority',
  labelNames: [],
};

export const schedulingDecisionDurationSeconds: HistogramDefinition<never> = {
  type: 'histogram',
  name: 'switchyard_scheduling_decision_duration_seconds',
  help: 'Placement engine time per scheduling unit (a pod or a gang): the decision, plus the preemption plan when it does not fit',
  labelNames: [],
  buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
};

export const schedulingUnschedulablePods: GaugeDefinition<'reason'> = {
  type: 'gauge',
  name: 'switchyard_scheduling_unschedulable_pods',
  help: 'Pods waiting because they do not fit now, by the placement reason that excluded the most nodes (invalid-request: refused before placement; no-nodes: no node at all). Only the leader reports them.',
  labelNames: ['reason'],
};

export const schedulingEventsDroppedTotal: CounterDefinition<'reason'> = {
  type: 'counter',
  name: 'switchyard_scheduling_events_dropped_total',
  help: "Kubernetes Events not sent because the recorder's queue was full, by the Event's reason",
  labelNames: ['reason'],
};

export const SCHEDULING_METRIC_DEFINITIONS = [
  schedulingAttemptsTotal,
  schedulingBindDurationSeconds,
  schedulingQueuePods,
  kubeWatchEventsTotal,
  kubeWatchRestartsTotal,
  preemptionVictimsTotal,
  schedulingDecisionDurationSeconds,
  schedulingUnschedulablePods,
  schedulingEventsDroppedTotal,
] as const;
