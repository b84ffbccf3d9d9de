import type { SchedulingUnit } from './gang-assembly';
import type { PodView } from './pod-model';
import type { SchedulerParts } from './scheduler-parts';
import type { QueuedUnit } from './scheduling-queue';
import type { AllocationRecord, SchedulingCluster } from './scheduling-ports';

/** A unit decided and committed in one cycle, with its pods' allocations. */
export interface DecidedUnit {
  readonly unit: QueuedUnit<SchedulingUnit>;
  readonly records: AllocationRecord[];
}

export interface BindingCycleDeps extends SchedulerParts {
  readonly cluster: SchedulingCluster;
  readonly podOf: (key: string) => PodView | undefined;
  /** Release a pod's allocation in memory and, with the next flush, in the database. */
  readonly release: (key: string, why: string) => void;
  /** Bind calls in flight at once. */
  readonly concurrency: number;
}

/**
 * Binds committed batches, one batch at a time (bounded requests in flight, and bind order
 * follows decision order), then writes their bound marks and runs the evictions planned
 * meanwhile. A batch binds while the next is decided and committed: the database and the API
 * work at the same time. A bind whose answer was lost is resolved by reading the pod.
 */
export class BindingCycle {
  /** The previous batch's binds (then its bound marks and evictions), still in flight. */
  private binding: Promise<void> | null = null;

  constructor(private readonly deps: BindingCycleDeps) {}

  /** Wait for the binds of the previous batch (their failures are logged where they happen). */
  async settle(): Promise<void> {
    const binding = this.binding;
    this.binding = null;
    await binding;
  }

  /**
   * Bind a committed batch of term `epoch` (after the previous batch: call `settle` first).
   * `pipelined`: return at once and let it run, else wait for it.
   */
  async bind(batch: readonly DecidedUnit[], epoch: number, pipelined: boolean): Promise<void> {
    // After a lost leadership (or a halt) nothing more is written: the next leader's rebuild marks what was bound.
    const binding = this.bindAll(batch, epoch)
      .then(() => (epoch === this.deps.epoch() ? this.deps.writer.flush() : undefined))
      .then(() => (epoch === this.deps.epoch() ? this.deps.evictions.run() : undefined))
      .catch((error: unknown) =>
        // The writer keeps what it could not write for the next flush; the loop goes on.
        this.deps.logger.error(
          { err: String((error as Error)?.stack ?? error) },
          'finishing a batch failed; its bound marks are retried',
        ),
      );
    if (pipelined) this.binding = binding;
    else await binding;
  }

  private async bindAll(batch: readonly DecidedUnit[], epoch: number): Promise<void> {
    const { deps } = this;
    const jobs = batch.flatMap((d) => d.records.map((record) => ({ unit: d.unit, record })));
    const failedUnits = new Set<string>();
    let next = 0;
    const started = deps.now();
    const worker = async () => {
      while (next < jobs.length) {
        const { unit, record } = jobs[next++];
        if (epoch !== deps.epoch()) return; // no longer the leader: stop binding
        const key = `${record.podNamespace}/${record.podName}`;
        if (!deps.placed.holds(key, record.podUid)) continue; // released meanwhile (pod deleted)
        let outcome;
        try {
          outcome = await deps.cluster.bind({
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
        if (outcome === 'bound') this.bound(key, record, started);
        else {
          deps.release(key, `bind ${outcome}`);
          if (outcome === 'error') failedUnits.add(unit.key);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(deps.concurrency, jobs.length) }, worker));
    if (epoch !== deps.epoch()) return;
    for (const d of batch) {
      if (failedUnits.has(d.unit.key)) {
        deps.queue.markFailed(d.unit.key, deps.now());
        deps.metrics?.attempt?.('error', d.records.length);
      } else {
        deps.queue.remove(d.unit.key);
        deps.nominator.forget(d.unit.key);
        deps.metrics?.attempt?.('scheduled', d.records.length);
      }
    }
  }

  private bound(key: string, record: AllocationRecord, started: number): void {
    const { deps } = this;
    deps.writer.markBound(record.podUid);
    deps.reporter.placed(key);
    deps.metrics?.bindLatency?.((deps.now() - started) / 1000);
    const pod = deps.podOf(key);
    if (!pod) return;
    const gpus = record.gpus.length ? ` (GPUs ${record.gpus.map((g) => g.index).join(',')})` : '';
    deps.cluster.recordEvent(pod, 'Normal', 'Scheduled', `Successfully assigned ${key} to ${record.nodeName}${gpus}`);
  }

  /**
   * A bind whose answer was lost may still have happened: ask where the pod is before
   * releasing its GPUs, or another pod could be given GPUs this one already uses.
   */
  private async resolveFailedBind(
    record: AllocationRecord,
    error: unknown,
  ): Promise<'bound' | 'gone' | 'conflict' | 'error'> {
    const pod = `${record.podNamespace}/${record.podName}`;
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
          { pod, err: String((error as Error)?.message ?? error) },
          'bind failed; releasing its allocation and retrying',
        );
        return 'error';
      } catch {
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
    }
    this.deps.logger.warn(
      { pod },
      'bind failed and the pod cannot be read; releasing (the rebuild adopts it if it was bound)',
    );
    return 'error';
  }
}
