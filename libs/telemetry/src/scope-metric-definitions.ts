import type { CounterDefinition, GaugeDefinition } from './metric-definition';

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

export const scopeNominalBudgetWatts: GaugeDefinition<ScopeLabel> = {
  type: 'gauge',
  name: 'switchyard_scope_nominal_budget_watts',
  help: `Budget of a scope without its override, floor(capacity x oversubscription): the budget the override in force replaces (only scopes with an override have a series). ${FROM_DATABASE}`,
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

/** Scope kinds whose series include the counts that are not exported per rack. */
export const SCOPE_KINDS_ABOVE_RACK: readonly string[] = ['site', 'hall', 'row'];

export const SCOPE_METRIC_DEFINITIONS = [
  scopeBudgetWatts,
  scopeBudgetOverrideWatts,
  scopeNominalBudgetWatts,
  scopePredictedWatts,
  scopeGpus,
  scopeGpusAllocated,
  scopeGpusBusy,
  scopeNodes,
  scopeSnapshotAgeSeconds,
  scopeSnapshotDurationSeconds,
  scopeSnapshotErrorsTotal,
] as const;
