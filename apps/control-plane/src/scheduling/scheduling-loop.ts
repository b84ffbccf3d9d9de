import type { SchedulingLogger } from './scheduling-ports';

export interface SchedulingLoopDeps {
  /** Whether this replica schedules now (the leader, after a rebuild). */
  readonly active: () => boolean;
  /** One pipelined cycle; resolves to the units it took. */
  readonly cycle: () => Promise<number>;
  readonly flushLedger: () => Promise<void>;
  /** Wait for the binds in flight. */
  readonly settle: () => Promise<void>;
  /** Return unschedulable units that waited too long to the queue. */
  readonly flushUnschedulable: (now: number) => void;
  /** When the next unit in backoff is ready, if any. */
  readonly nextReadyAt: () => number | undefined;
  readonly now: () => number;
  readonly logger: SchedulingLogger;
}

/** How often unschedulable units are checked for having waited their longest. */
const UNSCHEDULABLE_FLUSH_MS = 5000;
/** The longest idle wait when nothing is ready: new work wakes the loop sooner. */
const MAX_IDLE_MS = 1000;

/**
 * Runs scheduling cycles back to back while there is work, and idles until the next backoff
 * expires, new work arrives (`wake`) or a second passes. A failing cycle is logged and retried;
 * it never ends the loop.
 */
export class SchedulingLoop {
  /** The cycle in flight, so a (re)activation waits for it instead of racing it. */
  private cycle: Promise<number> | null = null;
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;

  constructor(private readonly deps: SchedulingLoopDeps) {}

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  /** Finish the cycle in flight and its binds, write the ledger, and stop. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    this.loop = null;
  }

  /** Stop after the cycle in flight, writing nothing more (the caller has stopped being active). */
  halt(): void {
    this.stopping = true;
    this.wake();
  }

  /** Wait for the cycle in flight, if any (its failure is the loop's to log). */
  async quiesce(): Promise<void> {
    await this.cycle?.catch(() => undefined);
  }

  wake(): void {
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    const { deps } = this;
    let lastFlush = deps.now();
    while (!this.stopping) {
      try {
        if (deps.active()) await deps.flushLedger();
        this.cycle = deps.active() ? deps.cycle() : null;
        const did = this.cycle ? await this.cycle : 0;
        this.cycle = null;
        if (deps.now() - lastFlush > UNSCHEDULABLE_FLUSH_MS) {
          deps.flushUnschedulable(deps.now());
          lastFlush = deps.now();
        }
        if (did === 0) await this.idle();
      } catch (error) {
        deps.logger.error({ err: String((error as Error)?.stack ?? error) }, 'scheduling cycle failed; retrying');
        await this.idle();
      }
    }
    await deps.settle();
    if (deps.active()) await deps.flushLedger().catch(() => undefined);
  }

  private idle(): Promise<void> {
    const next = this.deps.nextReadyAt();
    const ms = Math.max(1, Math.min(MAX_IDLE_MS, next === undefined ? MAX_IDLE_MS : next - this.deps.now()));
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }
}
