export * from './metric-definitions';
export * from './control-plane-metrics';
export * from './throttled-read';
