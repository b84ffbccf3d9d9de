import { BinaryHeap } from './binary-heap';

/**
 * kube-scheduler's queue, for scheduling units (a pod or a whole gang): an active heap by
 * priority then age, a backoff heap by ready time (per-unit exponential backoff), and an
 * unschedulable pool that waits for something that could help (a release, a new node, a
 * budget raise: `moveAll`) or for `maxUnschedulableMs` to pass. Time is passed in, so the
 * queue is pure and testable.
 */
export interface SchedulingQueueOptions {
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** An unschedulable unit is retried at least this often even if nothing is reported to change. */
  readonly maxUnschedulableMs: number;
}

export const DEFAULT_QUEUE_OPTIONS: SchedulingQueueOptions = {
  initialBackoffMs: 1000,
  maxBackoffMs: 10_000,
  maxUnschedulableMs: 60_000,
};

type UnitState = 'active' | 'backoff' | 'unschedulable' | 'inflight';

interface Entry<T> {
  item: T;
  priority: number;
  state: UnitState;
  attempts: number;
  /** Bumped whenever the entry moves, so stale heap records are skipped (lazy deletion). */
  version: number;
  queuedAt: number;
  readyAt: number;
  unschedulableSince: number;
  /** moveAll cycle when it was popped: a move during its attempt sends it to backoff, not to the pool. */
  popCycle: number;
}

interface HeapRecord {
  readonly key: string;
  readonly version: number;
  readonly priority: number;
  readonly queuedAt: number;
  readonly readyAt: number;
  readonly seq: number;
}

export interface QueuedUnit<T> {
  readonly key: string;
  readonly item: T;
  /** Attempts before this one. */
  readonly attempts: number;
}

export class SchedulingQueue<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly active = new BinaryHeap<HeapRecord>(
    (a, b) =>
      a.priority > b.priority ||
      (a.priority === b.priority && (a.queuedAt < b.queuedAt || (a.queuedAt === b.queuedAt && a.seq < b.seq))),
  );
  private readonly backoff = new BinaryHeap<HeapRecord>(
    (a, b) => a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.seq < b.seq),
  );
  /** Keys of the units in state 'unschedulable', so a move touches those only, not the whole queue. */
  private readonly unschedulable = new Set<string>();
  private moveCycle = 0;
  private seq = 0;

  constructor(private readonly options: SchedulingQueueOptions = DEFAULT_QUEUE_OPTIONS) {}

  /** Add a unit, or update it (an updated unschedulable unit may now fit, so it becomes active). */
  add(key: string, item: T, priority: number, now: number): void {
    const existing = this.entries.get(key);
    if (!existing) {
      const entry: Entry<T> = {
        item,
        priority,
        state: 'active',
        attempts: 0,
        version: 0,
        queuedAt: now,
        readyAt: now,
        unschedulableSince: 0,
        popCycle: 0,
      };
      this.entries.set(key, entry);
      this.pushActive(key, entry);
      return;
    }
    existing.item = item;
    if (existing.state === 'inflight') {
      existing.priority = priority;
      return;
    }
    if (existing.state === 'active' && existing.priority === priority) return;
    existing.priority = priority;
    if (existing.state === 'backoff' && existing.readyAt > now) this.pushBackoff(key, existing);
    else this.pushActive(key, existing);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): T | undefined {
    return this.entries.get(key)?.item;
  }

  /** Forget a unit (deleted, bound, or replaced); stale heap records are skipped later. */
  remove(key: string): void {
    this.entries.delete(key);
    this.unschedulable.delete(key);
  }

  /** Forget every unit, in flight or not (a term of leadership ended; the next one re-adds what is pending). */
  clear(): void {
    this.entries.clear();
    this.active.clear();
    this.backoff.clear();
    this.unschedulable.clear();
  }

  /** The next unit to schedule, highest priority first; undefined when none is ready at `now`. */
  pop(now: number): QueuedUnit<T> | undefined {
    this.flushBackoff(now);
    for (;;) {
      const record = this.active.pop();
      if (!record) return undefined;
      const entry = this.entries.get(record.key);
      if (!entry || entry.version !== record.version || entry.state !== 'active') continue;
      entry.state = 'inflight';
      entry.version += 1;
      entry.popCycle = this.moveCycle;
      return { key: record.key, item: entry.item, attempts: entry.attempts };
    }
  }

  popBatch(max: number, now: number): QueuedUnit<T>[] {
    const batch: QueuedUnit<T>[] = [];
    while (batch.length < max) {
      const unit = this.pop(now);
      if (!unit) break;
      batch.push(unit);
    }
    return batch;
  }

  /** The unit did not fit: wait for a change (or for backoff if a change happened during the attempt). */
  markUnschedulable(key: string, now: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.attempts += 1;
    entry.readyAt = now + this.backoffMs(entry.attempts);
    entry.version += 1;
    if (this.moveCycle > entry.popCycle) {
      this.pushBackoff(key, entry);
    } else {
      entry.state = 'unschedulable';
      entry.unschedulableSince = now;
      this.unschedulable.add(key);
    }
  }

  /** A transient error (API, database): retry after backoff. */
  markFailed(key: string, now: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.attempts += 1;
    entry.readyAt = now + this.backoffMs(entry.attempts);
    this.pushBackoff(key, entry);
  }

  /** Retry at once, without counting an attempt (the obstacle was removed, e.g. a stale row released). */
  retryNow(key: string, now: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.readyAt = now;
    this.pushActive(key, entry);
  }

  /** Something that could help happened: every waiting unit is retried (after its backoff). */
  moveAll(now: number): void {
    this.moveCycle += 1;
    for (const key of [...this.unschedulable]) {
      const entry = this.entries.get(key);
      if (!entry || entry.state !== 'unschedulable') continue;
      if (entry.readyAt > now) this.pushBackoff(key, entry);
      else this.pushActive(key, entry);
    }
  }

  /** Retry units that have waited longer than maxUnschedulableMs; call periodically. */
  flushUnschedulable(now: number): void {
    for (const key of [...this.unschedulable]) {
      const entry = this.entries.get(key);
      if (entry?.state === 'unschedulable' && now - entry.unschedulableSince >= this.options.maxUnschedulableMs)
        this.pushActive(key, entry);
    }
  }

  /** When the earliest backoff ends (for the loop's sleep); undefined when nothing backs off. */
  nextReadyAt(): number | undefined {
    for (;;) {
      const record = this.backoff.peek();
      if (!record) return undefined;
      const entry = this.entries.get(record.key);
      if (entry && entry.version === record.version && entry.state === 'backoff') return record.readyAt;
      this.backoff.pop();
    }
  }

  counts(): Record<UnitState, number> {
    const counts: Record<UnitState, number> = { active: 0, backoff: 0, unschedulable: 0, inflight: 0 };
    for (const entry of this.entries.values()) counts[entry.state] += 1;
    return counts;
  }

  get size(): number {
    return this.entries.size;
  }

  backoffMs(attempts: number): number {
    return Math.min(this.options.initialBackoffMs * 2 ** Math.max(0, attempts - 1), this.options.maxBackoffMs);
  }

  private flushBackoff(now: number): void {
    for (;;) {
      const record = this.backoff.peek();
      if (!record || record.readyAt > now) return;
      this.backoff.pop();
      const entry = this.entries.get(record.key);
      if (entry && entry.version === record.version && entry.state === 'backoff') this.pushActive(record.key, entry);
    }
  }

  private pushActive(key: string, entry: Entry<T>): void {
    this.pushInto(this.active, 'active', key, entry);
  }

  private pushBackoff(key: string, entry: Entry<T>): void {
    this.pushInto(this.backoff, 'backoff', key, entry);
  }

  /** A new version makes any record of the unit still in the other heap stale (skipped on pop). */
  private pushInto(heap: BinaryHeap<HeapRecord>, state: 'active' | 'backoff', key: string, entry: Entry<T>): void {
    entry.state = state;
    this.unschedulable.delete(key);
    entry.version += 1;
    heap.push({
      key,
      version: entry.version,
      priority: entry.priority,
      queuedAt: entry.queuedAt,
      readyAt: entry.readyAt,
      seq: this.seq++,
    });
  }
}
