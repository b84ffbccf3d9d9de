import { LABEL } from '@switchyard/contracts';
import type { ClusterState } from '../cluster-state/cluster-state';
import { BindingCycle } from './binding-cycle';
import { GangAssembly, gangUnitKey, type SchedulingUnit } from './gang-assembly';
import { LedgerWriter } from './ledger-writer';
import { Nominator } from './nominator';
import { PlacedPods } from './placed-pods';
import { isPendingForSwitchyard, isPodTerminal, podKey, SCHEDULER_NAME, type PodView } from './pod-model';
import { PendingPods } from './pending-pods';
import { PreemptionEvictions } from './preemption-evictions';
import type { SchedulerParts } from './scheduler-parts';
import { SchedulingCycle } from './scheduling-cycle';
import { SchedulingLoop } from './scheduling-loop';
import { DEFAULT_QUEUE_OPTIONS, SchedulingQueue, type SchedulingQueueOptions } from './scheduling-queue';
import type {
  AllocationLedger,
  AllocationRecord,
  SchedulingCluster,
  SchedulingLogger,
  SchedulingMetricsHook,
} from './scheduling-ports';
import { TermRebuild } from './term-rebuild';
import { UnschedulableReporter, type PodExplanation } from './unschedulable-reporter';

export interface PodSchedulerOptions {
  /** Units decided per cycle; their allocations are committed in one database round trip. */
  readonly batchSize: number;
  /** Bind calls in flight at once. */
  readonly bindConcurrency: number;
  readonly queue: SchedulingQueueOptions;
}

export const DEFAULT_SCHEDULER_OPTIONS: PodSchedulerOptions = {
  batchSize: 512,
  bindConcurrency: 64,
  queue: DEFAULT_QUEUE_OPTIONS,
};

export interface PodSchedulerDeps {
  /** The one owner of the engine: every placement, release and adoption goes through it. */
  readonly state: ClusterState;
  readonly ledger: AllocationLedger;
  readonly cluster: SchedulingCluster;
  readonly logger: SchedulingLogger;
  readonly metrics?: SchedulingMetricsHook;
  /** Milliseconds; injected so tests and backoff agree on time. */
  readonly now?: () => number;
  readonly options?: Partial<PodSchedulerOptions>;
}

/**
 * The scheduler as the runtime drives it: informer events in, pending pods -> queue ->
 * scheduling cycle (decide, commit) -> binding cycle, in a loop. It only acts while active
 * (the leader, after a rebuild); informer events are recorded either way so a new leader
 * starts from a current picture. The work is done by its parts, one job each: the queue and
 * gang assembly, the cycles, the nominator and its evictions, the ledger writer, the term
 * rebuild and the unschedulable reporter.
 */
export class PodScheduler {
  private readonly options: PodSchedulerOptions;
  private readonly now: () => number;
  private readonly state: ClusterState;
  private readonly logger: SchedulingLogger;
  /** Every pod with our scheduler name the informer has shown us, by `namespace/name`. */
  private readonly pods = new Map<string, PodView>();
  private readonly queue: SchedulingQueue<SchedulingUnit>;
  private readonly gangs: GangAssembly;
  private readonly placed: PlacedPods;
  private readonly writer: LedgerWriter;
  private readonly reporter: UnschedulableReporter;
  private readonly evictions: PreemptionEvictions;
  private readonly nominator: Nominator;
  private readonly binding: BindingCycle;
  private readonly scheduling: SchedulingCycle;
  private readonly term: TermRebuild;
  private readonly pending: PendingPods;
  private readonly loop: SchedulingLoop;
  private active = false;
  /** Bumped on every (de)activation: a cycle that started under another epoch must not act on its results. */
  private epoch = 0;

  constructor(deps: PodSchedulerDeps) {
    this.options = { ...DEFAULT_SCHEDULER_OPTIONS, ...(deps.options ?? {}) };
    const now = (this.now = deps.now ?? (() => Date.now()));
    const { state, logger, metrics, cluster } = deps;
    this.state = state;
    this.logger = logger;
    // More room (a budget raised, an override ended, a node up, a quota raised, a reload): retry waiting pods.
    state.onChange(() => this.retryAll());
    const podOf = (key: string) => this.pods.get(key);
    this.queue = new SchedulingQueue(this.options.queue);
    this.placed = new PlacedPods(state, (key) => this.gangUnitOf(key));
    this.gangs = new GangAssembly(this.placed);
    this.writer = new LedgerWriter(deps.ledger);
    this.reporter = new UnschedulableReporter(cluster, podOf, now, metrics);
    this.evictions = new PreemptionEvictions({
      cluster,
      placed: this.placed,
      podOf,
      logger,
      metrics,
      refused: (victim) => this.nominator.victimRefused(victim),
    });
    this.nominator = new Nominator({
      state,
      placed: this.placed,
      evictions: this.evictions,
      retryAll: () => this.retryAll(),
    });
    const parts: SchedulerParts = {
      queue: this.queue,
      placed: this.placed,
      writer: this.writer,
      nominator: this.nominator,
      evictions: this.evictions,
      reporter: this.reporter,
      epoch: () => this.epoch,
      now,
      logger,
      metrics,
    };
    this.binding = new BindingCycle({
      ...parts,
      cluster,
      podOf,
      release: (key, why) => this.releasePod(key, why),
      concurrency: this.options.bindConcurrency,
    });
    this.scheduling = new SchedulingCycle({
      ...parts,
      state,
      ledger: deps.ledger,
      gangs: this.gangs,
      binding: this.binding,
      isStillPending: (p) => this.pending.isStillPending(p),
      batchSize: this.options.batchSize,
    });
    this.term = new TermRebuild({ ...parts, state, ledger: deps.ledger });
    this.pending = new PendingPods({ ...parts, state, gangs: this.gangs, podOf, wake: () => this.loop.wake() });
    this.loop = new SchedulingLoop({
      active: () => this.active,
      cycle: () => this.scheduling.run(true),
      flushLedger: () => this.writer.flush(),
      settle: () => this.binding.settle(),
      flushUnschedulable: (at) => this.queue.flushUnschedulable(at),
      nextReadyAt: () => this.queue.nextReadyAt(),
      now,
      logger,
    });
  }

  // ------------------------------------------------------------------ informer input

  /** A pod was added or changed. */
  podChanged(pod: PodView): void {
    if (pod.spec?.schedulerName !== SCHEDULER_NAME) return;
    const key = podKey(pod);
    const previous = this.pods.get(key);
    this.pods.set(key, pod);
    if (previous && previous.metadata?.uid !== pod.metadata?.uid) this.forgetPod(key, previous);
    if (isPodTerminal(pod) || pod.metadata?.deletionTimestamp) {
      this.reporter.notWaiting(key);
      if (this.placed.has(key) && isPodTerminal(pod)) this.releasePod(key, 'pod finished');
      this.pending.dequeue(key);
      return;
    }
    if (!isPendingForSwitchyard(pod)) this.reporter.notWaiting(key);
    if (!this.active) return;
    if (isPendingForSwitchyard(pod)) this.pending.enqueue(pod);
    else if (pod.spec?.nodeName && !this.placed.has(key)) this.term.adoptBoundPod(pod);
  }

  podDeleted(pod: PodView): void {
    const key = podKey(pod);
    const known = this.pods.get(key);
    if (known && known.metadata?.uid !== pod.metadata?.uid && pod.metadata?.uid) return; // an older incarnation
    this.pods.delete(key);
    this.forgetPod(key, pod);
  }

  // ------------------------------------------------------------------ leadership

  /**
   * Become the active scheduler: rebuild from PostgreSQL and the pods the informer holds
   * (see TermRebuild), then queue every pending pod.
   */
  async activate(): Promise<{ adopted: number; released: number; pending: number }> {
    this.active = false;
    const epoch = ++this.epoch;
    // A cycle of the previous term may still be committing: rebuild only after it is done.
    await this.loop.quiesce();
    await this.binding.settle();
    this.term.forgetTerm();
    this.state.activate();
    const { allocations, released } = await this.term.adoptAllocations(
      this.pods.values(),
      (pod) => this.pods.get(podKey(pod))?.metadata?.uid === pod.metadata?.uid,
    );
    if (this.epoch !== epoch) return { adopted: 0, released, pending: 0 }; // the term ended while rebuilding
    this.active = true;
    const adopted = await this.term.adoptBoundPods(this.pods.values());
    let pending = 0;
    for (const pod of this.pods.values()) {
      if (!isPendingForSwitchyard(pod)) continue;
      this.pending.enqueue(pod);
      pending += 1;
    }
    this.logger.info({ allocations, released, adopted, pending }, 'scheduler state rebuilt');
    return { adopted, released, pending };
  }

  /** Stop acting (lost leadership); the informer picture is kept for the next activation. */
  deactivate(): void {
    this.active = false;
    this.epoch += 1;
    this.state.deactivate();
    this.reporter.clearTally(); // the leader reports waiting pods; a follower none
    this.term.forgetTerm();
  }

  get isActive(): boolean {
    return this.active;
  }

  // ------------------------------------------------------------------ the loop

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Stop at once without flushing anything, as a killed process would (failover tests). */
  halt(): void {
    this.active = false;
    this.epoch += 1; // binds in flight stop too
    this.loop.halt();
  }

  /** One cycle: decide a batch, commit its allocations together, bind them. Returns units taken. */
  runOnce(): Promise<number> {
    return this.active ? this.scheduling.run(false) : Promise.resolve(0);
  }

  /** Write the batched bound marks and releases (after any flush already running). */
  flushLedger(): Promise<void> {
    return this.writer.flush();
  }

  // ------------------------------------------------------------------ placements

  private forgetPod(key: string, pod: PodView): void {
    this.pending.dequeue(key);
    const uid = pod.metadata?.uid;
    if (uid) this.writer.podGone(uid);
    this.reporter.forget(key);
    this.evictions.podGone(key);
    if (this.placed.has(key)) this.releasePod(key, 'pod deleted');
  }

  private gangUnitOf(key: string): string | undefined {
    const pod = this.pods.get(key);
    const gang = pod?.metadata?.labels?.[LABEL.gang];
    return gang ? gangUnitKey(pod?.metadata?.namespace ?? 'default', gang) : undefined;
  }

  /** Release a pod's allocation in memory now and in the database with the next flush. */
  private releasePod(key: string, why: string): void {
    const dropped = this.placed.drop(key);
    if (!dropped) return;
    this.writer.release(dropped.record.podUid);
    this.logger.debug?.({ pod: key, why }, 'allocation released');
    this.retryAll();
  }

  private retryAll(): void {
    this.nominator.changed();
    this.queue.moveAll(this.now());
    if (!this.active) return;
    this.pending.retryRefused();
    this.loop.wake();
  }

  // ------------------------------------------------------------------ read side

  explanation(namespace: string, name: string): PodExplanation | undefined {
    return this.reporter.explanation(namespace, name);
  }

  explanationsFor(namespace: string, podNames: readonly string[]): Map<string, PodExplanation> {
    return this.reporter.explanationsFor(namespace, podNames);
  }

  allocationOf(namespace: string, name: string): AllocationRecord | undefined {
    return this.placed.get(`${namespace}/${name}`)?.record;
  }

  stats(): {
    active: boolean;
    queued: number;
    placed: number;
    explanations: number;
    nodes: number;
    engineBuilds: number;
  } {
    const state = this.state.stats();
    return {
      active: this.active,
      queued: this.queue.size,
      placed: this.placed.size,
      explanations: this.reporter.size,
      nodes: state.nodes,
      engineBuilds: state.engineBuilds,
    };
  }
}
