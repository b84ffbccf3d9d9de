export {
  openDatabase,
  type Database,
  type DatabaseKind,
  type DatabaseSession,
  type OpenDatabaseOptions,
} from './database';
export {
  migrate,
  migrationStatus,
  readMigrations,
  defaultMigrationsDir,
  MigrationError,
  MIGRATION_ADVISORY_LOCK,
  type MigrateResult,
  type MigrationFile,
  type MigrationStatus,
} from './migrations';
export * from './errors';
export type { Page, PageRequest } from './pagination';
export { DEFAULT_LIMIT, MAX_LIMIT } from './pagination';
export type { AuditContext } from './transactions';
export { Inventory } from './inventory';
export * from './repositories/allocations';
export * from './repositories/api-tokens';
export * from './repositories/audit-log';
export * from './repositories/budget-overrides';
export * from './repositories/deployments';
export * from './repositories/model-profiles';
export * from './repositories/nodes';
export * from './repositories/scopes';
export * from './repositories/tenants';
export * from './repositories/topology-import';
export * from './allocation-guard';
