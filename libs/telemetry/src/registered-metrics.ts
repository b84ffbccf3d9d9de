import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CounterDefinition, GaugeDefinition, HistogramDefinition } from './metric-definition';

/** prom-client's configuration of a definition, registered on `registry` only. */
function configOf<L extends string>(
  definition: CounterDefinition<L> | GaugeDefinition<L> | HistogramDefinition<L>,
  registry: Registry,
) {
  return {
    name: definition.name,
    help: definition.help,
    labelNames: [...definition.labelNames],
    registers: [registry],
    ...(definition.type === 'histogram' ? { buckets: [...definition.buckets] } : {}),
  };
}

export function newCounter<L extends string>(registry: Registry, definition: CounterDefinition<L>): Counter<L> {
  return new Counter(configOf(definition, registry));
}

export function newHistogram<L extends string>(registry: Registry, definition: HistogramDefinition<L>): Histogram<L> {
  return new Histogram(configOf(definition, registry));
}

/** With `collect`, the gauge's values are set by that callback at each scrape (prom-client awaits it). */
export function newGauge<L extends string>(
  registry: Registry,
  definition: GaugeDefinition<L>,
  collect?: (gauge: Gauge<L>) => void | Promise<void>,
): Gauge<L> {
  return new Gauge<L>({
    ...configOf(definition, registry),
    ...(collect
      ? {
          collect(this: Gauge<L>) {
            return collect(this);
          },
        }
      : {}),
  });
}

/*
 * The metric of that definition on `registry`, created there the first time: several runtimes
 * (tests, a restarted Kubernetes runtime in one process) share the control plane's registry, which
 * refuses a second registration of a name.
 */

export function registeredCounter<L extends string>(registry: Registry, definition: CounterDefinition<L>): Counter<L> {
  return (registry.getSingleMetric(definition.name) as Counter<L> | undefined) ?? newCounter(registry, definition);
}

export function registeredGauge<L extends string>(registry: Registry, definition: GaugeDefinition<L>): Gauge<L> {
  return (registry.getSingleMetric(definition.name) as Gauge<L> | undefined) ?? newGauge(registry, definition);
}

export function registeredHistogram<L extends string>(
  registry: Registry,
  definition: HistogramDefinition<L>,
): Histogram<L> {
  return (registry.getSingleMetric(definition.name) as Histogram<L> | undefined) ?? newHistogram(registry, definition);
}
