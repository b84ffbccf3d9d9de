export { NodeMetrics } from '@switchyard/telemetry';
