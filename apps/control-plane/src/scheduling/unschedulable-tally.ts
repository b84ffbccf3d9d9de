import type { Explanation } from '@switchyard/placement';

/** Label of pods refused before the engine decides (a bad request, an unknown product). */
export const INVALID_REQUEST = 'invalid-request';
/** Label of an engine refusal that names no reason (no node at all). */
export const NO_NODES = 'no-nodes';
/** Label of a pod that fits only on nodes reserved for a higher-priority preemptor. */
export const NOMINATED = 'nominated-for-preemption';

/**
 * The reason to report for a pod that does not fit: the one that excluded the most nodes
 * (the engine's first on a tie), i.e. the closest miss; undefined when none is given.
 * Labels stay bounded: libs/placement's exclusion reasons plus the three here.
 */
export function mainReason(reasons: Explanation['reasons']): string | undefined {
  let best: Explanation['reasons'][number] | undefined;
  for (const r of reasons) if (!best || r.nodes > best.nodes) best = r;
  return best?.reason;
}

/**
 * Pods waiting because they did not fit, counted by reason, kept current as pods are
 * explained, placed or deleted, so a gauge shows them without a scan per scrape.
 */
export class UnschedulableTally {
  private readonly reasonOf = new Map<string, string>();
  private readonly counts = new Map<string, number>();

  constructor(private readonly onChange: (reason: string, pods: number) => void = () => undefined) {}

  set(key: string, reason: string): void {
    const previous = this.reasonOf.get(key);
    if (previous === reason) return;
    if (previous !== undefined) this.bump(previous, -1);
    this.reasonOf.set(key, reason);
    this.bump(reason, 1);
  }

  delete(key: string): void {
    const previous = this.reasonOf.get(key);
    if (previous === undefined) return;
    this.reasonOf.delete(key);
    this.bump(previous, -1);
  }

  clear(): void {
    this.reasonOf.clear();
    for (const reason of this.counts.keys()) this.onChange(reason, 0);
    this.counts.clear();
  }

  count(reason: string): number {
    return this.counts.get(reason) ?? 0;
  }

  get size(): number {
    return this.reasonOf.size;
  }

  private bump(reason: string, delta: number): void {
    const n = (this.counts.get(reason) ?? 0) + delta;
    if (n === 0) this.counts.delete(reason);
    else this.counts.set(reason, n);
    this.onChange(reason, n);
  }
}
