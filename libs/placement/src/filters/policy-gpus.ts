import { FITS, unschedulable, type FilterStatus } from './status';

/** The scoring policy may decline a node the resources allow (its own GPU choice rule). */
export function policyGpusFilter(gpus: readonly number[] | null): FilterStatus {
  return gpus === null ? unschedulable('policy') : FITS;
}
