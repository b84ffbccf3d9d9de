export * from './topology.schema';
export * from './topology-problem';
export * from './validate-topology';
export * from './topology-yaml';
export * from './topology-views';
export * from './gpu-uuid';
export * from './generate-topology';
export { DERIVED_NODE_LABELS } from './topology-rules';
