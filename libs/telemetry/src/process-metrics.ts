import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's gauges whose names end in `_total`, which the exposition format reserves for
 * counters (`promtool check metrics` flags them). Each total is the sum of the per-type gauge of
 * the same name without the suffix (`sum(nodejs_active_handles)`), which stays.
 */
export const NON_COMPLIANT_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/**
 * The standard `process_*` and `nodejs_*` metrics, unprefixed so stock Node.js dashboards work,
 * without the gauges named like counters.
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of NON_COMPLIANT_DEFAULT_METRICS) registry.removeSingleMetric(name);
}
