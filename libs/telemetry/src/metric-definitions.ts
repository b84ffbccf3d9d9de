/**
 * Every Switchyard metric is named here, once: `switchyard_` prefix, base units, bounded labels
 * (never a pod name, GPU UUID or raw URL). Dashboards, alerts and their tests import these names.
 */
export interface CounterDefinition<L extends string> {
  readonly type: 'counter';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
}

export interface HistogramDefinition<L extends string> {
  readonly type: 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly buckets: readonly number[];
}

export interface GaugeDefinition<L extends string> {
  readonly type: 'gauge';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
}

export type MetricDefinition = CounterDefinition<string> | HistogramDefinition<string> | GaugeDefinition<string>;

export const httpRequestsTotal: CounterDefinition<'method' | 'route' | 'status'> = {
  type: 'counter',
  name: 'switchyard_http_requests_total',
  help: 'HTTP requests answered by the control plane, by method, route template and status code.',
  labelNames: ['method', 'route', 'status'],
};

export const httpRequestDurationSeconds: HistogramDefinition<'method' | 'route' | 'status'> = {
  type: 'histogram',
  name: 'switchyard_http_request_duration_seconds',
  help: 'Time from receiving an HTTP request to finishing its response, by method, route template and status code.',
  labelNames: ['method', 'route', 'status'],
  // API answers are expected in milliseconds; a topology import can take most of a minute.
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
};

/** Route label for requests that matched no route, so unknown URLs cannot grow the label set. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Power scopes: `scope` is the scope's path (`site/hall/row/rack`, unique) and `scope_kind` is
 * site, hall, row or rack. Dashboards drill down by path prefix (`scope=~"$row/.+"`).
 */
export type ScopeLabel = 'scope' | 'scope_kind';
const SCOPE_LABELS: readonly ScopeLabel[] = ['scope', 'scope_kind'];

/** Said in the HELP text of every series read from the database rather than from this replica's memory. */
const FROM_DATABASE =
  'Read from PostgreSQL (at most once per 10 s, in the background of a scrape), so every replica reports the same value: aggregate with max by (scope) across replicas, never sum.';

export const scopeBudgetWatts: GaugeDefinition<ScopeLabel> = {
  type: 'gauge',
  name: 'switchyard_scope_budget_watts',
  help: `Power budget of a scope: floor(capacity x oversubscription), lowered to an active budget override. ${FROM_DATABASE}`,
  labelNames: SCOPE_LABELS,
};

export const scopeBudgetOverrideWatts: GaugeDefinition<ScopeLabel> = {
  type: 'gauge',
  name: 'switchyard_scope_budget_override_watts',
  help: `Watts of the budget override in force on a scope (only scopes with one have a series). ${FROM_DATABASE}`,
  labelNames: SCOPE_LABELS,
};

export const scopePredictedWatts: GaugeDefinition<ScopeLabel> = {
  type: 'gauge',
  name: 'switchyard_scope_predicted_watts',
  help: `Predicted power of the allocations placed inside a scope (what the budget rule compares with the budget; nothing measured). ${FROM_DATABASE}`,
  labelNames: SCOPE_LABELS,
};

export const scopeGpus: GaugeDefinition<ScopeLabel> = {
  type: 'gauge',
  name: 'switchyard_scope_gpus',
  help: `GPUs installed inside a scope. ${FROM_DATABASE}`,
  labelNames: SCOPE_LABELS,
};

export const scopeGpusAllocated: GaugeDefinition<ScopeLabel> = {
  type: 'gauge',
  name: 'switchyard_scope_gpus_allocated',
  help: `GPUs allocated inside a scope, in GPUs (sum of milli-GPU shares / 1000: two pods at 500 milli on one GPU count 1). ${FROM_DATABASE}`,
  labelNames: SCOPE_LABELS,
};

export const scopeGpusBusy: GaugeDefinition<ScopeLabel> = {
  type: 'gauge',
  name: 'switchyard_scope_gpus_busy',
  help: `GPUs with any allocation inside a site, hall or row (not per rack, to bound the series); busy minus allocated is the capacity stranded on partly shared GPUs. ${FROM_DATABASE}`,
  labelNames: SCOPE_LABELS,
};

export const scopeNodes: GaugeDefinition<ScopeLabel> = {
  type: 'gauge',
  name: 'switchyard_scope_nodes',
  help: `GPU nodes inside a site, hall or row (not per rack, to bound the series). ${FROM_DATABASE}`,
  labelNames: SCOPE_LABELS,
};

export const scopeSnapshotAgeSeconds: GaugeDefinition<never> = {
  type: 'gauge',
  name: 'switchyard_scope_snapshot_age_seconds',
  help: 'Age of the database read behind the switchyard_scope_* series at this scrape (normally under 10 s plus one scrape interval); grows while the database cannot be read.',
  labelNames: [],
};

export const scopeSnapshotDurationSeconds: GaugeDefinition<never> = {
  type: 'gauge',
  name: 'switchyard_scope_snapshot_duration_seconds',
  help: 'How long the last database read of the scope tree with its aggregates took.',
  labelNames: [],
};

export const scopeSnapshotErrorsTotal: CounterDefinition<never> = {
  type: 'counter',
  name: 'switchyard_scope_snapshot_errors_total',
  help: 'Database reads of the scope tree that failed; the scope series then keep their last values.',
  labelNames: [],
};

export const ready: GaugeDefinition<never> = {
  type: 'gauge',
  name: 'switchyard_ready',
  help: '1 when this replica passes every readiness check of /readyz (database migrated, informers synced), else 0.',
  labelNames: [],
};

/** Scope kinds whose series include the counts that are not exported per rack. */
export const SCOPE_KINDS_ABOVE_RACK: readonly string[] = ['site', 'hall', 'row'];

export const METRIC_DEFINITIONS: readonly MetricDefinition[] = [
  httpRequestsTotal,
  httpRequestDurationSeconds,
  scopeBudgetWatts,
  scopeBudgetOverrideWatts,
  scopePredictedWatts,
  scopeGpus,
  scopeGpusAllocated,
  scopeGpusBusy,
  scopeNodes,
  scopeSnapshotAgeSeconds,
  scopeSnapshotDurationSeconds,
  scopeSnapshotErrorsTotal,
  ready,
];
