export * from './topology';
export * from './api';
export * from './model-deployment';
export * from './pod-annotations';
