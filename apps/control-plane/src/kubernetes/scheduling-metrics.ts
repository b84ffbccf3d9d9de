export { SchedulingMetrics } from '@switchyard/telemetry';
