import type { SchedulingUnit } from './gang-assembly';
import type { LedgerWriter } from './ledger-writer';
import type { Nominator } from './nominator';
import type { PlacedPods } from './placed-pods';
import type { PreemptionEvictions } from './preemption-evictions';
import type { SchedulingQueue } from './scheduling-queue';
import type { SchedulingLogger, SchedulingMetricsHook } from './scheduling-ports';
import type { UnschedulableReporter } from './unschedulable-reporter';

/**
 * The parts of the scheduler the scheduling and binding cycles work through, each the one
 * owner of its state, and the context they run in. PodScheduler builds them once.
 */
export interface SchedulerParts {
  readonly queue: SchedulingQueue<SchedulingUnit>;
  readonly placed: PlacedPods;
  readonly writer: LedgerWriter;
  readonly nominator: Nominator;
  readonly evictions: PreemptionEvictions;
  readonly reporter: UnschedulableReporter;
  /** The term: work started under another one must not act on its results. */
  readonly epoch: () => number;
  readonly now: () => number;
  readonly logger: SchedulingLogger;
  readonly metrics?: SchedulingMetricsHook;
}
