import type { CounterDefinition, HistogramDefinition } from './metric-definition';

/** HTTP API metrics, by route template (never the raw URL). */

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
