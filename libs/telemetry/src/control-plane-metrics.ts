import { Registry, type Counter, type Gauge, type Histogram } from 'prom-client';
import { UNMATCHED_ROUTE, httpRequestDurationSeconds, httpRequestsTotal } from './http-metric-definitions';
import type { CounterDefinition, GaugeDefinition, HistogramDefinition } from './metric-definition';
import { collectProcessMetrics } from './process-metrics';
import { newCounter, newGauge, newHistogram } from './registered-metrics';

export interface HttpRequestObservation {
  method: string;
  /** Route template such as `/api/v1/scopes/:id`; undefined when no route matched. */
  route: string | undefined;
  status: number;
  durationSeconds: number;
}

/**
 * The one metrics registry of a control-plane instance. Each instance gets its own registry
 * (not prom-client's global one) so that several apps in one process, as in tests, never
 * collide on metric registration.
 */
export class ControlPlaneMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<string>;
  private readonly httpDuration: Histogram<string>;

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectProcessMetrics(this.registry);
    this.httpRequests = this.counter(httpRequestsTotal);
    this.httpDuration = this.histogram(httpRequestDurationSeconds);
  }

  observeHttpRequest(observation: HttpRequestObservation): void {
    const labels = {
      method: observation.method.toUpperCase(),
      route: observation.route ?? UNMATCHED_ROUTE,
      status: String(observation.status),
    };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, observation.durationSeconds);
  }

  /** Prometheus text exposition of every metric in this registry. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  counter<L extends string>(definition: CounterDefinition<L>): Counter<L> {
    return newCounter(this.registry, definition);
  }

  histogram<L extends string>(definition: HistogramDefinition<L>): Histogram<L> {
    return newHistogram(this.registry, definition);
  }

  /**
   * A gauge; with `collect`, its values are set by that callback at each scrape, for numbers that
   * live elsewhere (the database) rather than in this process.
   */
  gauge<L extends string>(
    definition: GaugeDefinition<L>,
    collect?: (gauge: Gauge<L>) => void | Promise<void>,
  ): Gauge<L> {
    return newGauge(this.registry, definition, collect);
  }
}
