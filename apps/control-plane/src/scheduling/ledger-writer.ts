import type { AllocationLedger, AllocationRecord } from './scheduling-ports';

/**
 * What the scheduler owes the allocation ledger between cycles: bound marks and releases,
 * written in batches (releases after marks, and before the next commit, so the database frees
 * GPUs before it is asked to give them again), and the pods whose commit may have become
 * durable without an answer.
 */
export class LedgerWriter {
  private readonly bound = new Set<string>();
  private readonly releases = new Set<string>();
  /**
   * Pods of a commit that failed without an answer: it may still have become durable. A pod
   * deleted before its retry finds out gets its possible row released (idempotent).
   */
  private readonly uncertain = new Set<string>();
  /** Pods whose stale allocation row was released once (a second time backs off). */
  private readonly staleReleased = new Set<string>();
  /** Flushes run one after another, so "releases first" holds for every commit. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly ledger: AllocationLedger) {}

  markBound(podUid: string): void {
    this.bound.add(podUid);
    this.staleReleased.delete(podUid);
  }

  release(podUid: string): void {
    this.releases.add(podUid);
    this.bound.delete(podUid);
  }

  /** A commit failed without a reliable answer: its rows may exist. */
  commitUncertain(podUid: string): void {
    this.uncertain.add(podUid);
  }

  /** The commit is known now (committed, or refused for the very row an unanswered commit may have left). */
  commitSettled(podUid: string): void {
    this.uncertain.delete(podUid);
  }

  /** The pod is gone: a row an unanswered commit may have left is released. */
  podGone(podUid: string): void {
    this.staleReleased.delete(podUid);
    if (this.uncertain.delete(podUid)) this.releases.add(podUid);
  }

  /** Release rows found for pods not placed here (see the scheduling cycle); true when they were released before. */
  releaseStale(records: readonly AllocationRecord[]): boolean {
    const again = records.some((r) => this.staleReleased.has(r.podUid));
    for (const r of records) {
      this.release(r.podUid);
      this.staleReleased.add(r.podUid);
    }
    return again;
  }

  /** Write the batched bound marks and releases (after any flush already running). */
  flush(): Promise<void> {
    const next = this.flushing.catch(() => undefined).then(() => this.write());
    this.flushing = next;
    return next;
  }

  /** A new term: nothing of the last one is written (the next activation rebuilds from the database). */
  clear(): void {
    this.bound.clear();
    this.releases.clear();
    this.uncertain.clear();
    this.staleReleased.clear();
  }

  private async write(): Promise<void> {
    await this.writeBatch(this.bound, (uids) => this.ledger.markBound(uids));
    await this.writeBatch(this.releases, (uids) => this.ledger.release(uids));
  }

  /** What cannot be written is kept for the next flush. */
  private async writeBatch(pending: Set<string>, write: (uids: string[]) => Promise<void>): Promise<void> {
    if (pending.size === 0) return;
    const uids = [...pending];
    pending.clear();
    try {
      await write(uids);
    } catch (error) {
      for (const u of uids) pending.add(u);
      throw error;
    }
  }
}
