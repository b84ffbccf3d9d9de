import { PlacementInputError, type ReplicaRequest } from '@switchyard/placement';
import type { ClusterState } from '../cluster-state/cluster-state';
import type { BindingCycle, DecidedUnit } from './binding-cycle';
import type { GangAssembly, SchedulingUnit } from './gang-assembly';
import { toPodRequest, type PodSchedulingRequest } from './pod-request';
import type { SchedulerParts } from './scheduler-parts';
import type { QueuedUnit } from './scheduling-queue';
import type { AllocationLedger, AllocationRecord, CommitOutcome } from './scheduling-ports';
import type { UnschedulableReason } from './unschedulable-reporter';
import { mainReason, NO_NODES, NOMINATED } from './unschedulable-tally';

const POWER_REASONS = new Set([
  'node-power',
  'rack-power',
  'row-power',
  'hall-power',
  'site-power',
  'tenant-watt-quota',
]);

export interface SchedulingCycleDeps extends SchedulerParts {
  readonly state: ClusterState;
  readonly ledger: AllocationLedger;
  readonly gangs: GangAssembly;
  readonly binding: BindingCycle;
  /** Whether this pod (by uid) is still pending in the informer's picture and not placed. */
  readonly isStillPending: (pod: PodSchedulingRequest) => boolean;
  /** Units decided per cycle; their allocations are committed in one database round trip. */
  readonly batchSize: number;
}

/**
 * One scheduling cycle: pop a batch of units, decide each in the engine (reserving in memory),
 * commit the batch's allocations in one round trip, and hand what the database accepted to
 * the binding cycle. A unit that does not fit is explained and may nominate a preemption.
 */
export class SchedulingCycle {
  constructor(private readonly deps: SchedulingCycleDeps) {}

  /**
   * Decide a batch and commit it; then, once the previous batch's binds are done, start this
   * one's. `pipelined`: return without waiting for them (the loop), else wait (runOnce).
   * Returns the units taken from the queue.
   */
  async run(pipelined: boolean): Promise<number> {
    const { deps } = this;
    if (!deps.state.active) return 0;
    const epoch = deps.epoch();
    // Releases first: the database must free GPUs before it is asked to give them again.
    await deps.writer.flush();
    const units = deps.queue.popBatch(deps.batchSize, deps.now());
    deps.metrics?.queueDepth?.(deps.queue.size);
    if (units.length === 0) {
      await deps.binding.settle();
      return 0;
    }
    const decided: DecidedUnit[] = [];
    for (const unit of units) {
      const records = this.decide(unit);
      if (records) decided.push({ unit, records });
    }
    if (decided.length === 0) {
      await deps.evictions.run();
      return units.length;
    }
    const outcomes = await this.commit(decided);
    if (!outcomes) return units.length;
    // One batch binds at a time: bounded requests in flight, and bind order follows decision order.
    await deps.binding.settle();
    if (epoch !== deps.epoch()) {
      // Leadership was lost while committing: bind nothing; the next leader's rebuild releases these rows (their pods are unbound).
      deps.logger.warn(
        { pods: decided.reduce((n, d) => n + d.records.length, 0) },
        'lost leadership during a cycle: not binding its pods',
      );
      return units.length;
    }
    const toBind = this.settleCommits(decided, outcomes);
    if (toBind.length > 0) deps.nominator.changed(); // new placements: new possible preemption victims
    await deps.binding.bind(toBind, epoch, pipelined);
    return units.length;
  }

  /** Commit the batch, each unit all or nothing; null when nothing is durable (the decisions are undone). */
  private async commit(decided: readonly DecidedUnit[]): Promise<CommitOutcome[] | null> {
    const { deps } = this;
    const records = decided.flatMap((d) => d.records);
    const groups: number[][] = [];
    let offset = 0;
    for (const d of decided) {
      groups.push(d.records.map((_, i) => offset + i));
      offset += d.records.length;
    }
    try {
      return await deps.ledger.commit(records, groups);
    } catch (error) {
      // Nothing is durable: undo in memory and retry after backoff.
      deps.logger.warn(
        { err: String((error as Error)?.message ?? error), pods: records.length },
        'allocation commit failed; will retry',
      );
      for (const d of decided) {
        for (const r of d.records) {
          deps.placed.drop(`${r.podNamespace}/${r.podName}`);
          deps.writer.commitUncertain(r.podUid);
        }
        deps.queue.markFailed(d.unit.key, deps.now());
      }
      deps.metrics?.attempt?.('error', records.length);
      return null;
    }
  }

  /** The units the database accepted, to bind; the refused ones are undone and retried. */
  private settleCommits(decided: readonly DecidedUnit[], outcomes: readonly CommitOutcome[]): DecidedUnit[] {
    const { deps } = this;
    const refused = new Map<string, CommitOutcome>();
    for (const o of outcomes) if (!o.committed) refused.set(o.podUid, o);
    const toBind: DecidedUnit[] = [];
    for (const d of decided) {
      const refusal = d.records.map((r) => refused.get(r.podUid)).find((o) => o !== undefined);
      // Settled: committed now, or refused for the very row an unanswered commit may have left.
      if (!refusal || refusal.committed || refusal.alreadyAllocated)
        for (const r of d.records) deps.writer.commitSettled(r.podUid);
      if (!refusal || refusal.committed) {
        toBind.push(d);
        continue;
      }
      for (const r of d.records) deps.placed.drop(`${r.podNamespace}/${r.podName}`);
      if (refusal.alreadyAllocated) this.releaseStaleRows(d.unit.key, d.records);
      else {
        // A refusal from a connection lost mid-batch may hide a durable row: release it if the pod goes.
        for (const r of d.records) deps.writer.commitUncertain(r.podUid);
        deps.logger.warn(
          { unit: d.unit.key, reason: refusal.reason },
          'database refused the allocation; retrying after backoff',
        );
        deps.queue.markFailed(d.unit.key, deps.now());
      }
    }
    return toBind;
  }

  /** Decide one unit in the engine (reserving in memory); null when it does not fit now. */
  private decide(unit: QueuedUnit<SchedulingUnit>): AllocationRecord[] | null {
    const { deps } = this;
    const pods = unit.item.pods.filter((p) => deps.isStillPending(p));
    if (pods.length !== unit.item.pods.length) {
      deps.queue.remove(unit.key);
      const fresh = deps.gangs.unit(unit.key);
      if (fresh) deps.queue.add(unit.key, fresh, fresh.priorityValue, deps.now());
      return null;
    }
    const first = pods[0];
    const replica: ReplicaRequest = {
      id: unit.key,
      deployment: first.deploymentKey,
      spread: first.spread,
      // A tenant without a record has no quota; the engine only knows tenants that have one.
      tenant: first.tenant !== null && !deps.state.knowsTenant(first.tenant) ? null : first.tenant,
      priority: unit.item.priorityValue,
      topology: first.gang && first.gang.scope !== 'site' ? first.gang.scope : null,
      pods: pods.map(toPodRequest),
    };
    let result;
    const started = performance.now();
    const decided = () => deps.metrics?.decisionLatency?.((performance.now() - started) / 1000);
    try {
      result = deps.state.place(replica);
    } catch (error) {
      if (!(error instanceof PlacementInputError)) throw error;
      decided();
      this.unschedulable(unit, pods, { message: error.message, powerLimited: false, reasons: [] });
      return null;
    }
    if (!result.placed) {
      deps.nominator.planFor(unit.key, replica);
      decided();
      const e = result.explanation;
      this.unschedulable(unit, pods, {
        message: e.message,
        powerLimited: e.reasons.some((r) => r.nodes > 0 && POWER_REASONS.has(r.reason)),
        reasons: e.reasons,
        label: mainReason(e.reasons) ?? NO_NODES,
      });
      return null;
    }
    decided();
    const reservedFor = deps.nominator.heldBackBy(unit.key, unit.item.priorityValue, result.pods);
    if (reservedFor !== undefined) {
      deps.state.release(result.replicaId);
      const nodes = [...new Set(result.pods.map((p) => p.nodeId))].join(', ');
      this.unschedulable(unit, pods, {
        message: `${nodes} reserved for ${reservedFor.replace(/^gang:/, '')} (higher priority, waiting for the pods it preempted to go)`,
        powerLimited: false,
        reasons: [],
        label: NOMINATED,
      });
      return null;
    }
    deps.nominator.clear(unit.key); // placed: its reservation is no longer needed
    const records: AllocationRecord[] = [];
    const { pods: _omit, ...unitRequest } = replica;
    for (const placement of result.pods) {
      const req = pods.find((p) => p.key === placement.podId) as PodSchedulingRequest;
      const uuids = deps.state.gpuUuids(placement.nodeId);
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
      deps.placed.set(req.key, { record, replicaId: unit.key, request: toPodRequest(req), placement, unitRequest });
      records.push(record);
    }
    return records;
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
    const { deps } = this;
    const again = deps.writer.releaseStale(records);
    deps.logger.warn(
      { unit: unitKey, pods: records.length, again },
      'the database already holds an allocation for a pod not placed here (a commit whose reply was lost): releasing it and retrying',
    );
    if (again) deps.queue.markFailed(unitKey, deps.now());
    else deps.queue.retryNow(unitKey, deps.now());
  }

  private unschedulable(
    unit: QueuedUnit<SchedulingUnit>,
    pods: readonly PodSchedulingRequest[],
    why: UnschedulableReason,
  ): void {
    this.deps.queue.markUnschedulable(unit.key, this.deps.now());
    this.deps.metrics?.attempt?.('unschedulable', pods.length);
    for (const p of pods) this.deps.reporter.explain(p.key, why, unit.attempts + 1);
  }
}
