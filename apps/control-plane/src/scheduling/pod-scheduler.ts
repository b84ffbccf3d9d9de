import {
  PlacementInputError,
  type Explanation,
  type PodPlacement,
  type PodRequest,
  type ReplicaRequest,
} from '@switchyard/placement';
import { GangAssembly, gangUnitKey, unitKeyOf, type SchedulingUnit } from './gang-assembly';
import {
  ANNOTATION,
  LABEL,
  isPendingForSwitchyard,
  isPodTerminal,
  podKey,
  SCHEDULER_NAME,
  type PodView,
} from './pod-model';
import { translatePod, type PodSchedulingRequest } from './pod-request';
import type { ClusterState } from '../cluster-state/cluster-state';
import { INVALID_REQUEST, mainReason, NO_NODES, NOMINATED, UnschedulableTally } from './unschedulable-tally';
import {
  DEFAULT_QUEUE_OPTIONS,
  SchedulingQueue,
  type QueuedUnit,
  type SchedulingQueueOptions,
} from './scheduling-queue';
import type {
  AllocationLedger,
  AllocationRecord,
  CommitOutcome,
  SchedulingCluster,
  SchedulingLogger,
  SchedulingMetricsHook,
} from './scheduling-ports';

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

/** The latest reason a pod is not placed, for the explanation endpoint and the deployment status. */
export interface PodExplanation {
  readonly namespace: string;
  readonly name: string;
  readonly message: string;
  readonly powerLimited: boolean;
  readonly reasons: Explanation['reasons'];
  readonly at: string;
  readonly attempts: number;
}

interface PlacedPodState {
  readonly record: AllocationRecord;
  readonly replicaId: string;
  readonly request: PodRequest;
  readonly placement: PodPlacement;
  readonly unitRequest: Omit<ReplicaRequest, 'pods'>;
}

const POWER_REASONS = new Set([
  'node-power',
  'rack-power',
  'row-power',
  'hall-power',
  'site-power',
  'tenant-watt-quota',
]);

/**
 * The scheduling loop's state and logic: pending pods -> queue -> engine decision -> durable
 * allocation -> bind. It only acts while `active` (the leader, after a rebuild); informer
 * events are recorded either way so a new leader starts from a current picture.
 */
export class PodScheduler {
  private readonly options: PodSchedulerOptions;
  private readonly now: () => number;
  private readonly queue: SchedulingQueue<SchedulingUnit>;
  private readonly gangs: GangAssembly;
  private readonly state: ClusterState;
  /** Every pod with our scheduler name the informer has shown us, by `namespace/name`. */
  private readonly pods = new Map<string, PodView>();
  private readonly placed = new Map<string, PlacedPodState>();
  /** Placed pods per gang unit, so a gang with members bound before a restart can complete. */
  private readonly placedPerUnit = new Map<string, Set<string>>();
  private readonly placedUnit = new Map<string, string>();
  /** Placed pods per engine replica id, so releasing one gang member finds the others without a scan. */
  private readonly replicaMembers = new Map<string, Set<string>>();
  private readonly explanations = new Map<string, PodExplanation>();
  /** Pods waiting because they do not fit, by main reason (for the unschedulable gauge). */
  private readonly unschedulablePods: UnschedulableTally;
  private readonly lastEvent = new Map<string, { message: string; at: number }>();
  private readonly pendingReleases = new Set<string>();
  private readonly pendingBound = new Set<string>();
  /**
   * Preemptor unit -> the victim pods it waits for, the nodes its plan puts it on and its
   * priority. Those nodes are reserved: a unit of lower priority is not placed there meanwhile
   * (as kube-scheduler's nominated node), or a controller's replacement of a victim would take
   * the room freed for the preemptor.
   */
  private readonly nominated = new Map<
    string,
    /** Victim pod key -> its uid: a pod recreated under the same name (StatefulSet) is not the victim. */
    { victims: ReadonlyMap<string, string>; nodes: ReadonlySet<string>; priority: number }
  >();
  /** A unit was held back by a reservation: clearing one retries the waiting units. */
  private heldBack = false;
  private readonly pendingEvictions: { key: string; by: string; nodes: readonly string[] }[] = [];
  /** Bumped whenever placements, nodes or budgets change (a release, a commit, an inventory change). */
  private changes = 0;
  /**
   * Pods of a commit that failed without an answer: it may still have become durable. A pod
   * deleted before its retry finds out gets its possible row released (idempotent).
   */
  private readonly uncertainCommits = new Set<string>();
  /** Pods whose stale allocation row was released once (a second time backs off). */
  private readonly staleReleased = new Set<string>();
  /** Preemptor unit -> `changes` when its last plan found no victims: nothing to plan until something changes. */
  private readonly noPlanAt = new Map<string, number>();
  private active = false;
  /** Bumped on every (de)activation: a cycle that started under another epoch must not act on its results. */
  private epoch = 0;
  /** The cycle in flight, so a (re)activation waits for it instead of racing it. */
  private cycle: Promise<number> | null = null;
  /**
   * The previous batch's binds (then its bound marks and evictions), still in flight while the
   * loop decides and commits the next batch: the database and the API work at the same time.
   */
  private binding: Promise<void> | null = null;
  /** Ledger flushes run one after another, so "releases first" holds for every commit. */
  private flushing: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;

  constructor(private readonly deps: PodSchedulerDeps) {
    this.options = { ...DEFAULT_SCHEDULER_OPTIONS, ...(deps.options ?? {}) };
    this.now = deps.now ?? (() => Date.now());
    this.state = deps.state;
    // More room (a budget raised, an override ended, a node up, a quota raised, a reload): retry waiting pods.
    this.state.onChange(() => this.retryAll());
    this.queue = new SchedulingQueue(this.options.queue);
    this.gangs = new GangAssembly((key) => this.boundMembers(key));
    this.unschedulablePods = new UnschedulableTally((reason, pods) => deps.metrics?.unschedulablePods?.(reason, pods));
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
      this.unschedulablePods.delete(key);
      if (this.placed.has(key) && isPodTerminal(pod)) this.releasePod(key, 'pod finished');
      this.dequeuePod(key);
      return;
    }
    if (!isPendingForSwitchyard(pod)) this.unschedulablePods.delete(key);
    if (!this.active) return;
    if (isPendingForSwitchyard(pod)) this.enqueuePod(pod);
    else if (pod.spec?.nodeName && !this.placed.has(key)) this.adoptBoundPod(pod);
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
   * Become the active scheduler: rebuild from PostgreSQL and the pods the informer holds.
   * Bound pods without an allocation are adopted, allocations without a live pod (or whose
   * pod is still pending: the bind never happened) are released, nothing is allocated twice.
   */
  async activate(): Promise<{ adopted: number; released: number; pending: number }> {
    this.active = false;
    this.epoch += 1;
    // A cycle of the previous term may still be committing: rebuild only after it is done.
    await this.cycle?.catch(() => undefined);
    await this.settleBinding();
    this.forgetTerm();
    this.state.activate();
    const records = await this.deps.ledger.list();
    const byUid = new Map<string, PodView>();
    for (const pod of this.pods.values()) if (pod.metadata?.uid) byUid.set(pod.metadata.uid, pod);
    const release: string[] = [];
    const bound: string[] = [];
    for (const record of records) {
      const pod = byUid.get(record.podUid);
      const live = pod && !isPodTerminal(pod);
      if (!live || !pod.spec?.nodeName || pod.spec.nodeName !== record.nodeName) {
        release.push(record.podUid);
        continue;
      }
      if (this.adoptRecord(pod, record)) {
        if (record.state === 'reserved') bound.push(record.podUid);
      } else release.push(record.podUid);
    }
    if (release.length > 0) await this.deps.ledger.release(release);
    if (bound.length > 0) await this.deps.ledger.markBound(bound);
    this.active = true;
    let adopted = 0;
    for (const pod of this.pods.values()) {
      if (
        pod.spec?.nodeName &&
        !this.placed.has(podKey(pod)) &&
        !isPodTerminal(pod) &&
        !pod.metadata?.deletionTimestamp
      ) {
        if (await this.adoptBoundPodDurably(pod)) adopted += 1;
      }
    }
    let pending = 0;
    for (const pod of this.pods.values()) {
      if (!isPendingForSwitchyard(pod)) continue;
      this.enqueuePod(pod);
      pending += 1;
    }
    this.deps.logger.info(
      { allocations: records.length, released: release.length, adopted, pending },
      'scheduler state rebuilt',
    );
    return { adopted, released: release.length, pending };
  }

  /** Stop acting (lost leadership); the informer picture is kept for the next activation. */
  deactivate(): void {
    this.active = false;
    this.epoch += 1;
    this.state.deactivate();
    this.unschedulablePods.clear(); // the leader reports waiting pods; a follower none
    this.forgetTerm();
  }

  /**
   * Drop what belonged to a term of leadership: placements, queued units (some may be in
   * flight), reservations, planned evictions and unwritten ledger marks. A follower must not
   * act on or write any of it, and the next activation rebuilds it all from PostgreSQL.
   */
  private forgetTerm(): void {
    this.placed.clear();
    this.placedPerUnit.clear();
    this.placedUnit.clear();
    this.replicaMembers.clear();
    this.queue.clear();
    this.nominated.clear();
    this.heldBack = false;
    this.pendingEvictions.length = 0;
    this.pendingReleases.clear();
    this.pendingBound.clear();
    this.uncertainCommits.clear();
    this.staleReleased.clear();
    this.noPlanAt.clear();
  }

  get isActive(): boolean {
    return this.active;
  }

  // ------------------------------------------------------------------ the loop

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  /** Stop at once without flushing anything, as a killed process would (failover tests). */
  halt(): void {
    this.stopping = true;
    this.active = false;
    this.epoch += 1; // binds in flight stop too
    this.wake?.();
  }

  private async run(): Promise<void> {
    let lastFlush = this.now();
    while (!this.stopping) {
      try {
        if (this.active) await this.flushLedger();
        this.cycle = this.active ? this.step(true) : null;
        const did = this.cycle ? await this.cycle : 0;
        this.cycle = null;
        if (this.now() - lastFlush > 5000) {
          this.queue.flushUnschedulable(this.now());
          lastFlush = this.now();
        }
        if (did === 0) await this.idle();
      } catch (error) {
        this.deps.logger.error({ err: String((error as Error)?.stack ?? error) }, 'scheduling cycle failed; retrying');
        await this.idle(1000);
      }
    }
    await this.settleBinding();
    if (this.active) await this.flushLedger().catch(() => undefined);
  }

  /** Wait for the binds of the previous batch (their failures are logged where they happen). */
  private async settleBinding(): Promise<void> {
    const binding = this.binding;
    this.binding = null;
    await binding;
  }

  private idle(maxMs = 1000): Promise<void> {
    const next = this.queue.nextReadyAt();
    const ms = Math.max(1, Math.min(maxMs, next === undefined ? maxMs : next - this.now()));
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private poke(): void {
    this.wake?.();
  }

  /** One cycle: decide a batch, commit its allocations together, bind them. Returns units taken. */
  runOnce(): Promise<number> {
    return this.step(false);
  }

  /**
   * Decide a batch and commit it; then, once the previous batch's binds are done, start this
   * one's. `pipelined`: return without waiting for them (the loop), else wait (runOnce).
   */
  private async step(pipelined: boolean): Promise<number> {
    if (!this.active || !this.state.active) return 0;
    const epoch = this.epoch;
    // Releases first: the database must free GPUs before it is asked to give them again.
    await this.flushLedger();
    const units = this.queue.popBatch(this.options.batchSize, this.now());
    this.deps.metrics?.queueDepth?.(this.queue.size);
    if (units.length === 0) {
      await this.settleBinding();
      return 0;
    }
    const decided: { unit: QueuedUnit<SchedulingUnit>; records: AllocationRecord[] }[] = [];
    for (const unit of units) {
      const records = this.decide(unit);
      if (records) decided.push({ unit, records });
    }
    if (decided.length === 0) {
      await this.runEvictions();
      return units.length;
    }

    const records = decided.flatMap((d) => d.records);
    const groups: number[][] = [];
    let offset = 0;
    for (const d of decided) {
      groups.push(d.records.map((_, i) => offset + i));
      offset += d.records.length;
    }
    let outcomes;
    try {
      outcomes = await this.deps.ledger.commit(records, groups);
    } catch (error) {
      // Nothing is durable: undo in memory and retry after backoff.
      this.deps.logger.warn(
        { err: String((error as Error)?.message ?? error), pods: records.length },
        'allocation commit failed; will retry',
      );
      for (const d of decided) {
        for (const r of d.records) {
          this.dropPlaced(`${r.podNamespace}/${r.podName}`, false);
          this.uncertainCommits.add(r.podUid);
        }
        this.queue.markFailed(d.unit.key, this.now());
      }
      this.deps.metrics?.attempt?.('error', records.length);
      return units.length;
    }
    // One batch binds at a time: bounded requests in flight, and bind order follows decision order.
    await this.settleBinding();
    if (epoch !== this.epoch) {
      // Leadership was lost while committing: bind nothing; the next leader's rebuild releases these rows (their pods are unbound).
      this.deps.logger.warn({ pods: records.length }, 'lost leadership during a cycle: not binding its pods');
      return units.length;
    }
    const refused = new Map<string, CommitOutcome>();
    for (const o of outcomes) if (!o.committed) refused.set(o.podUid, o);
    const toBind: { unit: QueuedUnit<SchedulingUnit>; records: AllocationRecord[] }[] = [];
    for (const d of decided) {
      const refusal = d.records.map((r) => refused.get(r.podUid)).find((o) => o !== undefined);
      // Settled: committed now, or refused for the very row an unanswered commit may have left.
      if (!refusal || refusal.committed || refusal.alreadyAllocated)
        for (const r of d.records) this.uncertainCommits.delete(r.podUid);
      if (!refusal || refusal.committed) {
        toBind.push(d);
        continue;
      }
      for (const r of d.records) this.dropPlaced(`${r.podNamespace}/${r.podName}`, false);
      if (refusal.alreadyAllocated) this.releaseStaleRows(d.unit.key, d.records);
      else {
        // A refusal from a connection lost mid-batch may hide a durable row: release it if the pod goes.
        for (const r of d.records) this.uncertainCommits.add(r.podUid);
        this.deps.logger.warn(
          { unit: d.unit.key, reason: refusal.reason },
          'database refused the allocation; retrying after backoff',
        );
        this.queue.markFailed(d.unit.key, this.now());
      }
    }
    if (toBind.length > 0) this.changes += 1; // new placements: new possible preemption victims
    // After a lost leadership (or a halt) nothing more is written: the next leader's rebuild marks what was bound.
    const binding = this.bindAll(toBind)
      .then(() => (epoch === this.epoch ? this.flushLedger() : undefined))
      .then(() => (epoch === this.epoch ? this.runEvictions() : undefined))
      .catch((error: unknown) =>
        // flushLedger keeps what it could not write for the next flush; the loop goes on.
        this.deps.logger.error(
          { err: String((error as Error)?.stack ?? error) },
          'finishing a batch failed; its bound marks are retried',
        ),
      );
    if (pipelined) this.binding = binding;
    else await binding;
    return units.length;
  }

  /** Decide one unit in the engine (reserving in memory); null when it does not fit now. */
  private decide(unit: QueuedUnit<SchedulingUnit>): AllocationRecord[] | null {
    const pods = unit.item.pods.filter((p) => this.isStillPending(p));
    if (pods.length !== unit.item.pods.length) {
      this.queue.remove(unit.key);
      const fresh = this.gangs.unit(unit.key);
      if (fresh) this.queue.add(unit.key, fresh, fresh.priorityValue, this.now());
      return null;
    }
    const first = pods[0];
    const replica: ReplicaRequest = {
      id: unit.key,
      deployment: first.deploymentKey,
      spread: first.spread,
      // A tenant without a record has no quota; the engine only knows tenants that have one.
      tenant: first.tenant !== null && !this.state.knowsTenant(first.tenant) ? null : first.tenant,
      priority: unit.item.priorityValue,
      topology: first.gang && first.gang.scope !== 'site' ? first.gang.scope : null,
      pods: pods.map(toPodRequest),
    };
    let result;
    const started = performance.now();
    try {
      result = this.state.place(replica);
    } catch (error) {
      if (!(error instanceof PlacementInputError)) throw error;
      this.deps.metrics?.decisionLatency?.((performance.now() - started) / 1000);
      this.unschedulable(unit, pods, { message: error.message, powerLimited: false, reasons: [] });
      return null;
    }
    if (!result.placed) {
      this.planPreemptionFor(unit.key, replica);
      this.deps.metrics?.decisionLatency?.((performance.now() - started) / 1000);
      const e = result.explanation;
      this.unschedulable(unit, pods, {
        message: e.message,
        powerLimited: e.reasons.some((r) => r.nodes > 0 && POWER_REASONS.has(r.reason)),
        reasons: e.reasons,
        label: mainReason(e.reasons) ?? NO_NODES,
      });
      return null;
    }
    this.deps.metrics?.decisionLatency?.((performance.now() - started) / 1000);
    const reservedFor =
      this.nominated.size > 0 ? this.reservedBy(unit.key, unit.item.priorityValue, result.pods) : undefined;
    if (reservedFor !== undefined) {
      this.state.release(result.replicaId);
      this.heldBack = true;
      const nodes = [...new Set(result.pods.map((p) => p.nodeId))].join(', ');
      this.unschedulable(unit, pods, {
        message: `${nodes} reserved for ${reservedFor.replace(/^gang:/, '')} (higher priority, waiting for the pods it preempted to go)`,
        powerLimited: false,
        reasons: [],
        label: NOMINATED,
      });
      return null;
    }
    this.clearNomination(unit.key); // placed: its reservation is no longer needed
    const records: AllocationRecord[] = [];
    const { pods: _omit, ...unitRequest } = replica;
    for (const placement of result.pods) {
      const req = pods.find((p) => p.key === placement.podId) as PodSchedulingRequest;
      const uuids = this.state.gpuUuids(placement.nodeId);
      const record: AllocationRecord = {
        podUid: req.uid,
        podNamespace: req.namespace,
        podName: req.name,
        nodeName: placement.nodeId,
        gpus: placement.gpuIndices.map((index) => ({
          index,
          uuid: uuids[index] ?? `${placement.nodeId}-gpu${index}`,
          milli: placement.gpuMilli,
        })),
        predictedWatts: Math.round(placement.predictedWatts),
        powerLimitWatts: placement.powerLimitWatts === null ? null : Math.round(placement.powerLimitWatts),
        priority: req.priority,
        tenant: req.tenant,
        deployment: req.deploymentKey,
        state: 'reserved',
      };
      this.setPlaced(req.key, { record, replicaId: unit.key, request: toPodRequest(req), placement, unitRequest });
      records.push(record);
    }
    return records;
  }

  /**
   * Higher priority preempts lower: the engine picks the cheapest set of lower-priority
   * replicas (whole gangs, on one node or several) whose eviction lets this pod or gang fit;
   * they are evicted through the Eviction API (so disruption budgets and grace periods hold)
   * and the preemptor waits, as kube-scheduler's nominated pod does, until their release
   * retries it; it is then placed all or nothing like any gang. One plan per preemptor at a
   * time. A plan can take ~0.4 s at campus scale and runs in the cycle: it is attempted only
   * when the unit's placement fails, which the queue's per-unit backoff (1 s doubling to 10 s)
   * bounds, and not again while nothing changed since the last plan that found no victims.
   */
  private planPreemptionFor(unitKey: string, replica: ReplicaRequest): void {
    const waiting = this.nominated.get(unitKey);
    if (waiting && [...waiting.victims].some(([k, uid]) => this.placed.get(k)?.record.podUid === uid)) return;
    this.clearNomination(unitKey);
    if ((replica.priority ?? 0) <= 0) return;
    if (this.noPlanAt.get(unitKey) === this.changes) return;
    this.noPlanAt.delete(unitKey);
    let plan;
    try {
      plan = this.state.planPreemption(replica);
    } catch (error) {
      if (error instanceof PlacementInputError) return;
      throw error;
    }
    const victimPods: string[] = [];
    const victimUids = new Map<string, string>();
    for (const victim of plan?.victims ?? [])
      for (const key of this.replicaMembers.get(victim) ?? []) {
        victimPods.push(key);
        victimUids.set(key, this.placed.get(key)?.record.podUid ?? '');
      }
    if (!plan || victimPods.length === 0) {
      this.noPlanAt.set(unitKey, this.changes);
      return;
    }
    const nodes = [...new Set(plan.placement.map((p) => p.nodeId))];
    this.nominated.set(unitKey, {
      victims: victimUids,
      nodes: new Set(nodes),
      priority: replica.priority ?? 0,
    });
    this.deps.metrics?.preemption?.(victimPods.length);
    for (const key of victimPods) this.pendingEvictions.push({ key, by: unitKey, nodes });
  }

  /**
   * The database already holds a row for a pod of this unit, which this scheduler has not
   * placed (decide() takes only pending pods it does not hold). Only the leader writes
   * allocations and a new leader releases every row of an unbound pod when it activates, so
   * during this term such a row is this leader's own commit whose reply was lost (the
   * database went away after COMMIT), or a late commit of a deposed leader, which checks its
   * epoch and binds nothing. Either way no pod runs on it: release the rows of the unit's pods
   * (none committed: a group is all or nothing) with the next flush, which comes before the next
   * commit, and retry the unit at once (then with backoff, should the row come back). If a
   * deposed leader did bind the pod meanwhile, the API refuses our bind as a conflict and the
   * informer's bound pod is adopted from its annotations.
   */
  private releaseStaleRows(unitKey: string, records: readonly AllocationRecord[]): void {
    const again = records.some((r) => this.staleReleased.has(r.podUid));
    for (const r of records) {
      this.pendingReleases.add(r.podUid);
      this.pendingBound.delete(r.podUid);
      this.staleReleased.add(r.podUid);
    }
    this.deps.logger.warn(
      { unit: unitKey, pods: records.length, again },
      'the database already holds an allocation for a pod not placed here (a commit whose reply was lost): releasing it and retrying',
    );
    if (again) this.queue.markFailed(unitKey, this.now());
    else this.queue.retryNow(unitKey, this.now());
  }

  /** The preemptor whose reserved nodes `pods` would use, if it has a higher priority than `priority`. */
  private reservedBy(unitKey: string, priority: number, pods: readonly PodPlacement[]): string | undefined {
    for (const [by, n] of this.nominated) {
      if (by === unitKey || n.priority <= priority) continue;
      if (pods.some((p) => n.nodes.has(p.nodeId))) return by;
    }
    return undefined;
  }

  private clearNomination(unitKey: string): void {
    if (!this.nominated.delete(unitKey) || !this.heldBack) return;
    this.heldBack = false;
    this.retryAll();
  }

  private async runEvictions(): Promise<void> {
    const evictions = this.pendingEvictions.splice(0);
    await Promise.all(
      evictions.map(async ({ key, by, nodes }) => {
        const state = this.placed.get(key);
        const pod = this.pods.get(key);
        if (!state || !pod) return;
        this.deps.cluster.recordEvent(
          pod,
          'Warning',
          'Preempted',
          `Preempted by ${by.replace(/^gang:/, '')} (higher priority) to make room on ${nodes.length > 0 ? nodes.join(', ') : state.record.nodeName}`,
        );
        try {
          await this.deps.cluster.evict({
            namespace: state.record.podNamespace,
            name: state.record.podName,
            uid: state.record.podUid,
          });
          this.deps.logger.info({ victim: key, by }, 'preempted');
        } catch (error) {
          this.deps.logger.warn(
            { victim: key, by, err: String((error as Error)?.message ?? error) },
            'eviction refused or failed; the preemptor will plan again',
          );
          this.clearNomination(by);
        }
      }),
    );
  }

  private unschedulable(
    unit: QueuedUnit<SchedulingUnit>,
    pods: readonly PodSchedulingRequest[],
    why: { message: string; powerLimited: boolean; reasons: Explanation['reasons']; label?: string },
  ): void {
    this.queue.markUnschedulable(unit.key, this.now());
    this.deps.metrics?.attempt?.('unschedulable', pods.length);
    for (const p of pods) this.explain(p.key, why, unit.attempts + 1);
  }

  /** `why.label`: the gauge's reason (default: a request refused before the engine). */
  private explain(
    key: string,
    why: { message: string; powerLimited: boolean; reasons: Explanation['reasons']; label?: string },
    attempts: number,
  ): void {
    const pod = this.pods.get(key);
    if (!pod) return;
    this.unschedulablePods.set(key, why.label ?? INVALID_REQUEST);
    this.explanations.set(key, {
      namespace: pod.metadata?.namespace ?? 'default',
      name: pod.metadata?.name ?? '',
      message: why.message,
      powerLimited: why.powerLimited,
      reasons: why.reasons,
      at: new Date(this.now()).toISOString(),
      attempts,
    });
    // One event per distinct message, repeated at most once a minute, as the kube-scheduler's event aggregation would show it.
    const last = this.lastEvent.get(key);
    if (!last || last.message !== why.message || this.now() - last.at > 60_000) {
      this.lastEvent.set(key, { message: why.message, at: this.now() });
      this.deps.cluster.recordEvent(pod, 'Warning', 'FailedScheduling', why.message);
    }
  }

  private async bindAll(
    decided: readonly { unit: QueuedUnit<SchedulingUnit>; records: AllocationRecord[] }[],
  ): Promise<void> {
    const epoch = this.epoch;
    const jobs = decided.flatMap((d) => d.records.map((record) => ({ unit: d.unit, record })));
    const failedUnits = new Set<string>();
    let next = 0;
    const started = this.now();
    const worker = async () => {
      while (next < jobs.length) {
        const { unit, record } = jobs[next++];
        if (epoch !== this.epoch) return; // no longer the leader: stop binding
        const key = `${record.podNamespace}/${record.podName}`;
        if (this.placed.get(key)?.record.podUid !== record.podUid) continue; // released meanwhile (pod deleted)
        let outcome;
        try {
          outcome = await this.deps.cluster.bind({
            namespace: record.podNamespace,
            name: record.podName,
            uid: record.podUid,
            nodeName: record.nodeName,
            gpus: record.gpus.map((g) => ({ index: g.index, uuid: g.uuid })),
            ...(record.powerLimitWatts !== null ? { powerLimitWatts: record.powerLimitWatts } : {}),
          });
        } catch (error) {
          outcome = await this.resolveFailedBind(record, error);
        }
        if (outcome === 'bound') {
          this.pendingBound.add(record.podUid);
          this.staleReleased.delete(record.podUid);
          this.explanations.delete(key);
          this.unschedulablePods.delete(key);
          this.deps.metrics?.bindLatency?.((this.now() - started) / 1000);
          const pod = this.pods.get(key);
          if (pod)
            this.deps.cluster.recordEvent(
              pod,
              'Normal',
              'Scheduled',
              `Successfully assigned ${key} to ${record.nodeName}${record.gpus.length ? ` (GPUs ${record.gpus.map((g) => g.index).join(',')})` : ''}`,
            );
        } else {
          this.releasePod(key, `bind ${outcome}`);
          if (outcome === 'error') failedUnits.add(unit.key);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.bindConcurrency, jobs.length) }, worker));
    if (epoch !== this.epoch) return;
    for (const d of decided) {
      if (failedUnits.has(d.unit.key)) {
        this.queue.markFailed(d.unit.key, this.now());
        this.deps.metrics?.attempt?.('error', d.records.length);
      } else {
        this.queue.remove(d.unit.key);
        this.noPlanAt.delete(d.unit.key);
        this.deps.metrics?.attempt?.('scheduled', d.records.length);
      }
    }
  }

  /**
   * A bind whose answer was lost may still have happened: ask where the pod is before
   * releasing its GPUs, or another pod could be given GPUs this one already uses.
   */
  private async resolveFailedBind(
    record: AllocationRecord,
    error: unknown,
  ): Promise<'bound' | 'gone' | 'conflict' | 'error'> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        const node = await this.deps.cluster.boundNode({
          namespace: record.podNamespace,
          name: record.podName,
          uid: record.podUid,
        });
        if (node === 'gone') return 'gone';
        if (node === record.nodeName) return 'bound';
        if (node !== null) return 'conflict';
        this.deps.logger.warn(
          { pod: `${record.podNamespace}/${record.podName}`, err: String((error as Error)?.message ?? error) },
          'bind failed; releasing its allocation and retrying',
        );
        return 'error';
      } catch {
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
    }
    this.deps.logger.warn(
      { pod: `${record.podNamespace}/${record.podName}` },
      'bind failed and the pod cannot be read; releasing (the rebuild adopts it if it was bound)',
    );
    return 'error';
  }

  /** Write the batched bound marks and releases (after any flush already running). */
  flushLedger(): Promise<void> {
    const next = this.flushing.catch(() => undefined).then(() => this.writeLedger());
    this.flushing = next;
    return next;
  }

  private async writeLedger(): Promise<void> {
    if (this.pendingBound.size > 0) {
      const uids = [...this.pendingBound];
      this.pendingBound.clear();
      try {
        await this.deps.ledger.markBound(uids);
      } catch (error) {
        for (const u of uids) this.pendingBound.add(u);
        throw error;
      }
    }
    if (this.pendingReleases.size > 0) {
      const uids = [...this.pendingReleases];
      this.pendingReleases.clear();
      try {
        await this.deps.ledger.release(uids);
      } catch (error) {
        for (const u of uids) this.pendingReleases.add(u);
        throw error;
      }
    }
  }

  // ------------------------------------------------------------------ bookkeeping

  private enqueuePod(pod: PodView): void {
    const key = podKey(pod);
    if (this.placed.has(key)) return; // bound in flight; the informer is ahead of the bind result
    const result = translatePod(pod, this.state.catalog);
    if (!result.ok) {
      this.dequeuePod(key);
      this.explain(
        key,
        { message: `${result.rejection.field}: ${result.rejection.message}`, powerLimited: false, reasons: [] },
        1,
      );
      return;
    }
    const unitKey = this.gangs.add(result.request);
    const unit = this.gangs.unit(unitKey);
    if (unit) this.queue.add(unitKey, unit, unit.priorityValue, this.now());
    else if (result.request.gang) {
      const members = this.gangs.pending(unitKey);
      const message = `waiting for the gang: ${members.length + this.boundMembers(unitKey)}/${result.request.gang.size} members exist`;
      for (const m of members) {
        this.unschedulablePods.delete(m.key);
        this.explanations.set(m.key, {
          namespace: m.namespace,
          name: m.name,
          message,
          powerLimited: false,
          reasons: [],
          at: new Date(this.now()).toISOString(),
          attempts: 0,
        });
      }
    }
    this.poke();
  }

  private dequeuePod(key: string): void {
    const unitKey = this.gangs.remove(key) ?? key;
    const unit = this.gangs.unit(unitKey);
    if (unit) this.queue.add(unitKey, unit, unit.priorityValue, this.now());
    else {
      this.queue.remove(unitKey);
      this.noPlanAt.delete(unitKey);
      this.clearNomination(unitKey);
    }
  }

  private forgetPod(key: string, pod: PodView): void {
    this.dequeuePod(key);
    const uid = pod.metadata?.uid;
    if (uid) {
      this.staleReleased.delete(uid);
      if (this.uncertainCommits.delete(uid)) this.pendingReleases.add(uid);
    }
    this.explanations.delete(key);
    this.unschedulablePods.delete(key);
    this.lastEvent.delete(key);
    if (this.placed.has(key)) this.releasePod(key, 'pod deleted');
  }

  private isStillPending(p: PodSchedulingRequest): boolean {
    const pod = this.pods.get(p.key);
    return !!pod && pod.metadata?.uid === p.uid && isPendingForSwitchyard(pod) && !this.placed.has(p.key);
  }

  private boundMembers(unitKey: string): number {
    return this.placedPerUnit.get(unitKey)?.size ?? 0;
  }

  private unitOfPlaced(key: string): string | undefined {
    const pod = this.pods.get(key);
    const gang = pod?.metadata?.labels?.[LABEL.gang];
    return gang ? gangUnitKey(pod?.metadata?.namespace ?? 'default', gang) : undefined;
  }

  private setPlaced(key: string, state: PlacedPodState): void {
    const previous = this.placed.get(key);
    if (previous && previous.replicaId !== state.replicaId) this.removeReplicaMember(previous.replicaId, key);
    this.placed.set(key, state);
    let replica = this.replicaMembers.get(state.replicaId);
    if (!replica) this.replicaMembers.set(state.replicaId, (replica = new Set()));
    replica.add(key);
    const unit = this.placedUnit.get(key) ?? this.unitOfPlaced(key);
    if (unit === undefined) return;
    this.placedUnit.set(key, unit);
    let members = this.placedPerUnit.get(unit);
    if (!members) this.placedPerUnit.set(unit, (members = new Set()));
    members.add(key);
  }

  private removeReplicaMember(replicaId: string, key: string): void {
    const members = this.replicaMembers.get(replicaId);
    members?.delete(key);
    if (members?.size === 0) this.replicaMembers.delete(replicaId);
  }

  private deletePlaced(key: string): void {
    const previous = this.placed.get(key);
    if (previous) this.removeReplicaMember(previous.replicaId, key);
    this.placed.delete(key);
    const unit = this.placedUnit.get(key);
    this.placedUnit.delete(key);
    const members = unit === undefined ? undefined : this.placedPerUnit.get(unit);
    members?.delete(key);
    if (unit !== undefined && members?.size === 0) this.placedPerUnit.delete(unit);
  }

  /** Release a pod's allocation in memory now and in the database with the next flush. */
  private releasePod(key: string, why: string): void {
    const state = this.placed.get(key);
    if (!state) return;
    this.dropPlaced(key, true);
    this.deps.logger.debug?.({ pod: key, why }, 'allocation released');
    this.retryAll();
  }

  private dropPlaced(key: string, durable: boolean): void {
    const state = this.placed.get(key);
    if (!state) return;
    this.deletePlaced(key);
    if (durable) {
      this.pendingReleases.add(state.record.podUid);
      this.pendingBound.delete(state.record.podUid);
    }
    const replicaId = this.state.replicaOfPod(key);
    if (replicaId === undefined) return;
    this.state.release(replicaId);
    // The rest of a gang stays placed: re-adopt its other members one by one.
    for (const otherKey of [...(this.replicaMembers.get(replicaId) ?? [])]) {
      const other = this.placed.get(otherKey) as PlacedPodState;
      this.state.adopt({
        replica: { ...other.unitRequest, id: otherKey, topology: null, pods: [other.request] },
        pods: [other.placement],
      });
      this.setPlaced(otherKey, { ...other, replicaId: otherKey });
    }
  }

  private retryAll(): void {
    this.changes += 1;
    this.queue.moveAll(this.now());
    if (!this.active) return;
    // Pods refused at translation (e.g. an unknown product) may fit a catalog that just changed.
    for (const key of [...this.explanations.keys()]) {
      const pod = this.pods.get(key);
      if (pod && !this.gangs.unitKeyOfPod(key) && isPendingForSwitchyard(pod)) this.enqueuePod(pod);
    }
    this.poke();
  }

  /** Record an allocation loaded from the database for a pod bound where it says. */
  private adoptRecord(pod: PodView, record: AllocationRecord): boolean {
    if (!this.state.active) return false;
    const key = podKey(pod);
    const result = translatePod(pod, this.state.catalog);
    const request: PodRequest = result.ok
      ? toPodRequest(result.request)
      : {
          id: key,
          cpuMilli: 0,
          memoryMiB: 0,
          gpuCount: record.gpus.length ? (record.gpus[0].milli < 1000 ? 1 : record.gpus.length) : 0,
          gpuMilli: record.gpus[0]?.milli ?? 0,
          wattsPerGpu: 0,
        };
    const placement: PodPlacement = {
      podId: key,
      nodeId: record.nodeName,
      gpuIndices: record.gpus.map((g) => g.index),
      gpuMilli: record.gpus[0]?.milli ?? 0,
      powerLimitWatts: record.powerLimitWatts,
      predictedWatts: record.predictedWatts,
    };
    const tenant = result.ok ? result.request.tenant : null;
    const unitRequest = {
      id: key,
      deployment: result.ok ? result.request.deploymentKey : null,
      tenant: tenant !== null && !this.state.knowsTenant(tenant) ? null : tenant,
      priority: result.ok ? result.request.priorityValue : 0,
    };
    try {
      this.state.adopt({ replica: { ...unitRequest, pods: [request] }, pods: [placement] });
    } catch (error) {
      this.deps.logger.warn({ pod: key, err: String((error as Error)?.message ?? error) }, 'cannot adopt allocation');
      return false;
    }
    this.setPlaced(key, { record: { ...record, state: 'bound' }, replicaId: key, request, placement, unitRequest });
    return true;
  }

  /** A bound pod with no allocation (bound before a crash, before its allocation was durable? never; by an old leader whose row was released): record it from its annotations. */
  private async adoptBoundPodDurably(pod: PodView): Promise<boolean> {
    const record = this.recordFromAnnotations(pod);
    if (!record) return false;
    const [outcome] = await this.deps.ledger.commit([record], [[0]]);
    if (!outcome?.committed) return false;
    return this.adoptRecord(pod, record);
  }

  private adoptBoundPod(pod: PodView): void {
    void this.adoptBoundPodDurably(pod).catch((error) =>
      this.deps.logger.warn({ pod: podKey(pod), err: String(error) }, 'adoption failed'),
    );
  }

  private recordFromAnnotations(pod: PodView): AllocationRecord | null {
    const nodeName = pod.spec?.nodeName;
    const uid = pod.metadata?.uid;
    if (!nodeName || !uid) return null;
    const result = translatePod(pod, this.state.catalog);
    const gpusRaw = pod.metadata?.annotations?.[ANNOTATION.gpus] ?? '';
    const uuids = this.state.gpuUuids(nodeName);
    const indices = gpusRaw
      .split(',')
      .map((part) => Number(part.split('=')[0]))
      .filter((i) => Number.isInteger(i) && i >= 0 && i < uuids.length);
    const milli = result.ok ? result.request.gpuMilli : 1000;
    const watts = result.ok ? result.request.wattsPerGpu : 0;
    const limitRaw = pod.metadata?.annotations?.[ANNOTATION.powerLimitWatts];
    return {
      podUid: uid,
      podNamespace: pod.metadata?.namespace ?? 'default',
      podName: pod.metadata?.name ?? '',
      nodeName,
      gpus: indices.map((index) => ({ index, uuid: uuids[index], milli })),
      predictedWatts: Math.round((watts * milli * indices.length) / 1000),
      powerLimitWatts: limitRaw !== undefined && Number.isFinite(Number(limitRaw)) ? Number(limitRaw) : null,
      priority: result.ok ? result.request.priority : 'standard',
      tenant: result.ok ? result.request.tenant : null,
      deployment: result.ok ? result.request.deploymentKey : null,
      state: 'bound',
    };
  }

  // ------------------------------------------------------------------ read side

  explanation(namespace: string, name: string): PodExplanation | undefined {
    return this.explanations.get(`${namespace}/${name}`);
  }

  explanationsFor(namespace: string, podNames: readonly string[]): Map<string, PodExplanation> {
    const out = new Map<string, PodExplanation>();
    for (const n of podNames) {
      const e = this.explanations.get(`${namespace}/${n}`);
      if (e) out.set(`${namespace}/${n}`, e);
    }
    return out;
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
    return {
      active: this.active,
      queued: this.queue.size,
      placed: this.placed.size,
      explanations: this.explanations.size,
      nodes: this.state.stats().nodes,
      engineBuilds: this.state.stats().engineBuilds,
    };
  }

}

function toPodRequest(p: PodSchedulingRequest): PodRequest {
  return {
    id: p.key,
    cpuMilli: p.cpuMilli,
    memoryMiB: p.memoryMiB,
    gpuCount: p.gpuCount,
    gpuMilli: p.gpuMilli,
    allowedProducts: p.allowedProducts,
    minGpuMemoryMiB: p.minGpuMemoryMiB,
    wattsPerGpu: p.wattsPerGpu,
    cap: p.capping ? { limitWatts: p.capping.limitWatts, wattsPerGpu: p.capping.wattsPerGpu } : null,
  };
}

export { unitKeyOf };
