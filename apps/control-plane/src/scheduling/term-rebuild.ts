import { ANNOTATION, parseGpuAnnotation, parsePowerLimitAnnotation } from '@switchyard/contracts';
import type { PodPlacement, PodRequest } from '@switchyard/placement';
import type { ClusterState } from '../cluster-state/cluster-state';
import { isPodTerminal, podKey, type PodView } from './pod-model';
import { toPodRequest, translatePod } from './pod-request';
import type { SchedulerParts } from './scheduler-parts';
import type { AllocationLedger, AllocationRecord } from './scheduling-ports';

/** Records adopted between two turns of the event loop (about 40 us each at campus scale). */
const ADOPTION_SLICE = 2000;

export interface TermRebuildDeps extends SchedulerParts {
  readonly state: ClusterState;
  readonly ledger: AllocationLedger;
}

/**
 * A term of leadership starts from PostgreSQL and the pods the informer holds: allocations of
 * pods bound where they say are adopted, the others released, and bound pods without an
 * allocation (bound by an old leader whose row was released) recorded from their annotations;
 * nothing is allocated twice. A term ends by forgetting all it held.
 */
export class TermRebuild {
  constructor(private readonly deps: TermRebuildDeps) {}

  /**
   * Drop what belonged to a term: placements, queued units (some may be in flight),
   * reservations, planned evictions and unwritten ledger marks. A follower must not act on or
   * write any of it, and the next activation rebuilds it all from PostgreSQL.
   */
  forgetTerm(): void {
    this.deps.placed.clear();
    this.deps.queue.clear();
    this.deps.nominator.reset();
    this.deps.evictions.clear();
    this.deps.writer.clear();
  }

  /**
   * Adopt the allocations of pods bound where they say; release the rest (no live pod, or its
   * bind never happened). At campus scale that is 100,000 records: they are adopted in slices,
   * yielding to the event loop between them, so health checks and the Lease renewal go on. A
   * pod deleted meanwhile (`stillThere` false) is released, not adopted; a term lost meanwhile
   * stops the rebuild.
   */
  async adoptAllocations(
    pods: Iterable<PodView>,
    stillThere: (pod: PodView) => boolean,
  ): Promise<{ allocations: number; released: number }> {
    const records = await this.deps.ledger.list();
    const epoch = this.deps.epoch();
    const byUid = new Map<string, PodView>();
    for (const pod of pods) if (pod.metadata?.uid) byUid.set(pod.metadata.uid, pod);
    const release: string[] = [];
    const bound: string[] = [];
    for (let i = 0; i < records.length; i++) {
      if (i > 0 && i % ADOPTION_SLICE === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        if (this.deps.epoch() !== epoch) return { allocations: records.length, released: 0 };
      }
      const record = records[i];
      const pod = byUid.get(record.podUid);
      const live = pod && !isPodTerminal(pod) && stillThere(pod);
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
    return { allocations: records.length, released: release.length };
  }

  /** Bound pods left without an allocation: each is committed from its annotations, then adopted. Returns how many. */
  async adoptBoundPods(pods: Iterable<PodView>): Promise<number> {
    let adopted = 0;
    for (const pod of pods) {
      if (
        pod.spec?.nodeName &&
        !this.deps.placed.has(podKey(pod)) &&
        !isPodTerminal(pod) &&
        !pod.metadata?.deletionTimestamp
      ) {
        if (await this.adoptBoundPodDurably(pod)) adopted += 1;
      }
    }
    return adopted;
  }

  /** A pod seen bound during the term but not placed here (bound by a deposed leader): adopted in the background. */
  adoptBoundPod(pod: PodView): void {
    void this.adoptBoundPodDurably(pod).catch((error) =>
      this.deps.logger.warn({ pod: podKey(pod), err: String(error) }, 'adoption failed'),
    );
  }

  private async adoptBoundPodDurably(pod: PodView): Promise<boolean> {
    const record = this.recordFromAnnotations(pod);
    if (!record) return false;
    const [outcome] = await this.deps.ledger.commit([record], [[0]]);
    if (!outcome?.committed) return false;
    return this.adoptRecord(pod, record);
  }

  /** Record an allocation (from the database or a bound pod's annotations) for a pod bound where it says. */
  private adoptRecord(pod: PodView, record: AllocationRecord): boolean {
    const { state } = this.deps;
    if (!state.active) return false;
    const key = podKey(pod);
    const result = translatePod(pod, state.catalog);
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
      tenant: tenant !== null && !state.knowsTenant(tenant) ? null : tenant,
      priority: result.ok ? result.request.priorityValue : 0,
    };
    try {
      state.adopt({ replica: { ...unitRequest, pods: [request] }, pods: [placement] });
    } catch (error) {
      this.deps.logger.warn({ pod: key, err: String((error as Error)?.message ?? error) }, 'cannot adopt allocation');
      return false;
    }
    this.deps.placed.set(key, {
      record: { ...record, state: 'bound' },
      replicaId: key,
      request,
      placement,
      unitRequest,
    });
    return true;
  }

  /** The allocation a bound pod's annotations describe; GPU UUIDs come from the inventory, which outlives a re-enumeration. */
  private recordFromAnnotations(pod: PodView): AllocationRecord | null {
    const nodeName = pod.spec?.nodeName;
    const uid = pod.metadata?.uid;
    if (!nodeName || !uid) return null;
    const { state } = this.deps;
    const result = translatePod(pod, state.catalog);
    const annotations = pod.metadata?.annotations ?? {};
    const uuids = state.gpuUuids(nodeName);
    const { gpus, malformed } = parseGpuAnnotation(annotations[ANNOTATION.gpus]);
    if (malformed.length > 0)
      this.deps.logger.warn({ pod: podKey(pod), malformed }, `ignoring malformed ${ANNOTATION.gpus} entries`);
    const indices = gpus.map((g) => g.index).filter((i) => i < uuids.length);
    const milli = result.ok ? result.request.gpuMilli : 1000;
    const watts = result.ok ? result.request.wattsPerGpu : 0;
    return {
      podUid: uid,
      podNamespace: pod.metadata?.namespace ?? 'default',
      podName: pod.metadata?.name ?? '',
      nodeName,
      gpus: indices.map((index) => ({ index, uuid: uuids[index], milli })),
      predictedWatts: Math.round((watts * milli * indices.length) / 1000),
      powerLimitWatts: parsePowerLimitAnnotation(annotations[ANNOTATION.powerLimitWatts]),
      priority: result.ok ? result.request.priority : 'standard',
      tenant: result.ok ? result.request.tenant : null,
      deployment: result.ok ? result.request.deploymentKey : null,
      state: 'bound',
    };
  }
}
