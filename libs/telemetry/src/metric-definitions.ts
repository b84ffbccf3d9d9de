import { httpRequestDurationSeconds, httpRequestsTotal } from './http-metric-definitions';
import type { MetricDefinition } from './metric-definition';
import { NODE_METRIC_DEFINITIONS } from './node-metric-definitions';
import { leader, ready } from './replica-metric-definitions';
import { SCHEDULING_METRIC_DEFINITIONS } from './scheduling-metric-definitions';
import { SCOPE_METRIC_DEFINITIONS } from './scope-metric-definitions';

/**
 * Every Switchyard metric, each defined once in this library (one file per area): `switchyard_`
 * prefix, base units, bounded labels. Dashboards, alerts and their tests check against this list.
 */
export const METRIC_DEFINITIONS: readonly MetricDefinition[] = [
  httpRequestsTotal,
  httpRequestDurationSeconds,
  ready,
  leader,
  ...SCOPE_METRIC_DEFINITIONS,
  ...SCHEDULING_METRIC_DEFINITIONS,
  ...NODE_METRIC_DEFINITIONS,
];
