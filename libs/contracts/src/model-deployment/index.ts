export * from './model-deployment.schema';
export * from './validate';
export * from './crd';
