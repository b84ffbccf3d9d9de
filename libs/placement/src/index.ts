export * from './policies/policy';
