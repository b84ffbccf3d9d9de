/**
 * The shape of a metric definition: `switchyard_` prefix, base units, bounded labels (never a pod
 * name, GPU UUID or raw URL). Each area's definitions sit in its own `*-metric-definitions.ts`.
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
