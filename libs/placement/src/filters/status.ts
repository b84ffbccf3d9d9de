import type { ExclusionCount, ExclusionReason } from '../model';

/**
 * What one filter decides about one node for one pod, after kube-scheduler's
 * `Filter -> *Status`: success, or a refusal that says why and by how much. 'unresolvable'
 * means evicting pods cannot help (the node's kind is wrong or it is down).
 */
export type FilterCode = 'success' | 'unschedulable' | 'unresolvable';

export interface FilterStatus {
  readonly code: FilterCode;
  /** Why the node is refused; null on success. */
  readonly reason: ExclusionReason | null;
  /** The closest miss: what the pod needs and what this node has (absent when there is no measure). */
  readonly needs: number | undefined;
  readonly best: number | undefined;
  readonly unit: ExclusionCount['unit'] | undefined;
}

export const FITS: FilterStatus = Object.freeze({
  code: 'success',
  reason: null,
  needs: undefined,
  best: undefined,
  unit: undefined,
});

type Refusal = (reason: ExclusionReason, needs?: number, best?: number, unit?: ExclusionCount['unit']) => FilterStatus;

function refusal(code: Exclude<FilterCode, 'success'>): Refusal {
  return (reason, needs, best, unit) => ({ code, reason, needs, best, unit });
}

/** Refused now; evicting pods may help. */
export const unschedulable: Refusal = refusal('unschedulable');
/** Refused whatever is evicted. */
export const unresolvable: Refusal = refusal('unresolvable');
