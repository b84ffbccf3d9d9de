/**
 * Typed errors of the inventory. Each names the API problem kind it becomes
 * (`@switchyard/contracts` PROBLEM_KINDS): 404 not-found, 409 conflict, 422 validation-failed,
 * 400 invalid-parameters. `toInventoryError` translates Prisma and PostgreSQL errors.
 */
export type InventoryProblemKind = 'not-found' | 'conflict' | 'validation-failed' | 'invalid-parameters';

/** One of several things at fault, located by the path of the input that asked for it (`nodes[3].rack`). */
export interface InventoryFieldProblem {
  readonly path: string;
  readonly message: string;
}

export abstract class InventoryError extends Error {
  abstract readonly problem: InventoryProblemKind;
  /** The input field at fault, when one is known (`capacityWatts`, `allowedProducts[1]`). */
  readonly field?: string;
  /** Every thing at fault, when there are several (a topology import lists each conflict). */
  readonly problems?: readonly InventoryFieldProblem[];

  constructor(message: string, field?: string) {
    super(message);
    this.name = new.target.name;
    if (field !== undefined) this.field = field;
  }
}

export class NotFoundError extends InventoryError {
  readonly problem = 'not-found' as const;
  constructor(
    readonly entity: string,
    readonly key: string,
    field?: string,
  ) {
    super(`${entity} ${key} not found`, field);
  }
}

export type ConflictReason =
  | 'already-exists'
  | 'still-referenced'
  | 'gpu-share-exceeded'
  | 'pod-already-allocated'
  | 'already-cancelled'
  | 'concurrent-update'
  /** The change would pull a rack, GPUs, a product or memory from under live allocations. */
  | 'held-by-allocations';

export class ConflictError extends InventoryError {
  readonly problem = 'conflict' as const;
  constructor(
    message: string,
    readonly reason: ConflictReason,
    readonly constraint?: string,
    field?: string,
    override readonly problems?: readonly InventoryFieldProblem[],
  ) {
    super(message, field);
  }
}

/** The database refused a value (CHECK constraint) or a reference to something that does not exist. */
export class ConstraintViolationError extends InventoryError {
  readonly problem = 'validation-failed' as const;
  constructor(
    message: string,
    readonly constraint?: string,
    field?: string,
  ) {
    super(message, field);
  }
}

/** A query parameter (limit, cursor, filter) that cannot be used. */
export class InvalidParameterError extends InventoryError {
  readonly problem = 'invalid-parameters' as const;
  constructor(field: string, message: string) {
    super(message, field);
  }
}

export class InvalidCursorError extends InvalidParameterError {
  constructor() {
    super('cursor', 'is not a cursor returned by this API');
  }
}

/** What the database said, whatever layer (Prisma model call, raw query, pg session) carried it. */
interface DatabaseFailure {
  prismaCode?: string;
  sqlState?: string;
  message: string;
  constraint?: string;
  modelName?: string;
}

function describe(error: unknown): DatabaseFailure | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; meta?: Record<string, unknown>; message?: unknown; constraint?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  if (typeof e.code === 'string' && /^P\d{4}$/.test(e.code)) {
    const adapterError = e.meta?.driverAdapterError as { cause?: Record<string, unknown> } | undefined;
    const cause = adapterError?.cause ?? {};
    const originalMessage = typeof cause.originalMessage === 'string' ? cause.originalMessage : message;
    const index = (cause.constraint as { index?: unknown } | undefined)?.index;
    return {
      prismaCode: e.code,
      sqlState: typeof cause.originalCode === 'string' ? cause.originalCode : undefined,
      message: originalMessage,
      constraint: typeof index === 'string' ? index : constraintIn(originalMessage),
      modelName: typeof e.meta?.modelName === 'string' ? e.meta.modelName : undefined,
    };
  }
  // node-postgres / PGlite errors: SQLSTATE in `code`, the constraint by name.
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    return {
      sqlState: e.code,
      message,
      constraint: typeof e.constraint === 'string' ? e.constraint : constraintIn(message),
    };
  }
  return undefined;
}

function constraintIn(message: string): string | undefined {
  return /constraint "([^"]+)"/.exec(message)?.[1];
}

/** Field and human wording of the CHECK constraints of prisma/migrations/*_invariants. */
const CHECKS: Record<string, { field: string; message: string }> = {
  scopes_capacity_watts_positive: { field: 'capacityWatts', message: 'must be > 0' },
  scopes_oversubscription_at_least_one: { field: 'oversubscriptionRatio', message: 'must be >= 1.0' },
  scopes_name_not_empty: { field: 'name', message: 'must not be empty' },
  scopes_parent_kind_matches: {
    field: 'parentId',
    message: 'a site has no parent; a hall sits in a site, a row in a hall, a rack in a row',
  },
  budget_overrides_watts_not_negative: { field: 'watts', message: 'must be >= 0' },
  budget_overrides_window_ordered: { field: 'endsAt', message: 'must be after startsAt' },
  gpu_products_memory_positive: { field: 'memoryMiB', message: 'must be > 0' },
  gpu_products_tdp_positive: { field: 'tdpWatts', message: 'must be > 0' },
  gpu_products_power_limit_range: { field: 'minPowerLimitWatts', message: 'must be > 0 and <= maxPowerLimitWatts' },
  nodes_in_a_rack: { field: 'rack', message: 'a node must be in a rack' },
  nodes_resources_not_negative: { field: 'cpuMilli', message: 'CPU and memory must be >= 0' },
  nodes_power_range: { field: 'idleWatts', message: 'must be >= 0 and <= maxWatts (maxWatts > 0)' },
  gpus_index_not_negative: { field: 'index', message: 'must be >= 0' },
  gpus_memory_positive: { field: 'memoryMiB', message: 'must be > 0' },
  gpus_tdp_positive: { field: 'tdpWatts', message: 'must be > 0' },
  gpus_power_limit_range: { field: 'minPowerLimitWatts', message: 'must be > 0 and <= maxPowerLimitWatts' },
  model_profiles_gpus_per_replica_positive: { field: 'gpusPerReplica', message: 'must be >= 1' },
  model_profiles_gpu_memory_not_negative: { field: 'gpuMemoryMiB', message: 'must be >= 0' },
  model_profiles_predicted_watts_positive: { field: 'predictedWattsPerGpu', message: 'must be > 0' },
  model_profiles_capping_complete: {
    field: 'cappedPowerLimitWatts',
    message: 'cappedPowerLimitWatts and predictedWattsPerGpuCapped must be given together, both > 0',
  },
  tenants_gpu_quota_not_negative: { field: 'gpuQuota', message: 'must be >= 0' },
  tenants_watts_quota_not_negative: { field: 'wattsQuota', message: 'must be >= 0' },
  deployments_replicas_not_negative: { field: 'replicas', message: 'must be >= 0' },
  allocations_predicted_watts_not_negative: { field: 'predictedWatts', message: 'must be >= 0' },
  allocations_power_limit_positive: { field: 'powerLimitWatts', message: 'must be > 0' },
  allocations_bound_at_iff_bound: { field: 'state', message: 'boundAt is set exactly when the allocation is bound' },
  allocation_gpus_share_range: { field: 'gpus', message: 'each GPU share must be between 1 and 1000 milli-GPU' },
};

/**
 * Translates a database failure into an InventoryError; anything else (connection loss, a
 * bug) comes back unchanged so that it surfaces as a 500 / 503 rather than a misleading 4xx.
 */
export function toInventoryError(error: unknown): unknown {
  if (error instanceof InventoryError) return error;
  const failure = describe(error);
  if (!failure) return error;
  const { prismaCode, sqlState, constraint, message } = failure;
  if (prismaCode === 'P2025') return new NotFoundError(failure.modelName ?? 'record', '(requested)');
  if (prismaCode === 'P2002' || sqlState === '23505') {
    if (constraint === 'scopes_one_site_key') {
      return new ConflictError(
        'the database already holds a site: one site per database',
        'already-exists',
        constraint,
      );
    }
    if (constraint === 'allocations_pod_uid_key') {
      return new ConflictError('the pod already has an allocation', 'pod-already-allocated', constraint, 'podUid');
    }
    return new ConflictError(
      `already exists (${constraint ?? 'unique constraint'})`,
      'already-exists',
      constraint,
      uniqueField(constraint),
    );
  }
  if (sqlState === '23001') {
    // restrict_violation (PostgreSQL 16+ for ON DELETE RESTRICT; older servers say 23503).
    return new ConflictError(`still in use: ${message}`, 'still-referenced', constraint);
  }
  if (prismaCode === 'P2003' || sqlState === '23503') {
    // "update or delete on table" = something still points at the row; "insert or update" = a dangling reference.
    if (/update or delete on table/.test(message)) {
      return new ConflictError(`still in use: ${message}`, 'still-referenced', constraint);
    }
    return new ConstraintViolationError(
      `references something that does not exist (${constraint ?? 'foreign key'})`,
      constraint,
    );
  }
  if (sqlState === '23514') {
    if (constraint === 'gpus_allocated_milli_range') {
      return new ConflictError('a GPU would be shared beyond 1000 milli-GPU', 'gpu-share-exceeded', constraint, 'gpus');
    }
    const known = constraint ? CHECKS[constraint] : undefined;
    return new ConstraintViolationError(known?.message ?? message, constraint, known?.field);
  }
  if (sqlState === '23502') return new ConstraintViolationError(message, constraint);
  if (sqlState === '40001' || sqlState === '40P01') {
    return new ConflictError('a concurrent change got in the way; retry', 'concurrent-update');
  }
  return error;
}

function uniqueField(constraint: string | undefined): string | undefined {
  if (!constraint) return undefined;
  if (constraint.endsWith('_name_key')) return 'name';
  if (constraint.endsWith('_path_key') || constraint === 'scopes_parent_id_name_key') return 'name';
  if (constraint.endsWith('_uuid_key')) return 'uuid';
  return undefined;
}

/** Runs `work`, translating database failures into InventoryErrors. */
export async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toInventoryError(error);
  }
}
