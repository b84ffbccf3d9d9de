export * from './power-series';
export * from './power-reading';
export { buildPowerReading, type ObservedPower, type ObservedSeries } from './observed-power';
export { ExpositionParser, ExpositionParseError, LabelSetCache, type ExpositionSample } from './exposition-parser';
export { POWER_READ_DEFAULTS, type PowerSourceTiming } from './power-source-timing';
export { ExporterPowerSource, type ExporterPowerSourceOptions } from './exporter-power-source';
export { PrometheusPowerSource, type PrometheusPowerSourceOptions } from './prometheus-power-source';
export * from './power-telemetry-config';
