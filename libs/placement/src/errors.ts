/**
 * Bad input to the placement library. Every public operation validates before it mutates,
 * so when one of these is thrown the engine's state is exactly what it was before the call.
 */
export type PlacementErrorCode =
  | 'invalid-value'
  | 'duplicate-id'
  | 'unknown-scope'
  | 'unknown-node'
  | 'unknown-tenant'
  | 'unknown-product'
  | 'unknown-replica'
  | 'unknown-policy'
  | 'gang-too-large'
  | 'invalid-topology'
  | 'invalid-placement';

export class PlacementInputError extends Error {
  override readonly name = 'PlacementInputError';
  constructor(
    readonly code: PlacementErrorCode,
    /** Dotted path of the offending field, e.g. `pods[1].cpuMilli`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A scoring policy broke its contract (e.g. returned GPUs that do not fit); a bug, not bad input. */
export class PolicyContractError extends Error {
  override readonly name = 'PolicyContractError';
}
