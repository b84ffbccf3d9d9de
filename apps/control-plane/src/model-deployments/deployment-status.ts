import type {
  ConditionView,
  ModelDeploymentStatus,
  ModelDeploymentView,
  ModelProfileDefaults,
  ReplicaStatusView,
} from './model-deployment-view';
import { ANNOTATION, LABEL } from '@switchyard/contracts';
import { isPodReady, podKey, type PodView } from '../scheduling/pod-model';
import { stableJson, templateHash } from './replica-plan';

/** What the scheduler knows about a placed pod. */
export interface PodAllocationView {
  readonly nodeName: string;
  readonly predictedWatts: number;
  /** The GPU power limit set, when the pod runs capped. */
  readonly powerLimitWatts: number | null;
  /** `0=GPU-...,1=GPU-...` as annotated. */
  readonly gpus: string;
}

/** The latest explanation for a pod that could not be placed. */
export interface PodExplanationView {
  readonly message: string;
  /** Power (a budget), not GPUs or products, was what stopped it. */
  readonly powerLimited: boolean;
}

export interface DeploymentStatusInput {
  readonly deployment: ModelDeploymentView;
  readonly profile?: ModelProfileDefaults | null;
  readonly pods: readonly PodView[];
  readonly allocations: ReadonlyMap<string, PodAllocationView>;
  readonly explanations: ReadonlyMap<string, PodExplanationView>;
  readonly now: Date;
}

/**
 * The status the controller writes through the status subresource: counts of replicas
 * placed and ready, predicted watts, where each replica's pods run, and the Placed,
 * PowerLimited and Unschedulable conditions (with the placement explanation). Transition
 * times are kept from the previous status while a condition's status does not change.
 */
export function computeDeploymentStatus(input: DeploymentStatusInput): ModelDeploymentStatus {
  const md = input.deployment;
  const hash = templateHash(md, input.profile);
  const size = md.spec.podsPerReplica ?? 1;
  const byReplica = new Map<number, PodView[]>();
  for (const pod of input.pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const raw = pod.metadata?.labels?.[LABEL.replica];
    if (raw === undefined || !/^\d+$/.test(raw)) continue;
    const list = byReplica.get(Number(raw)) ?? [];
    list.push(pod);
    byReplica.set(Number(raw), list);
  }
  const replicaStatuses: ReplicaStatusView[] = [];
  let predictedWatts = 0;
  let capped = false;
  let placed = 0;
  let ready = 0;
  for (const [index, pods] of [...byReplica.entries()].sort((a, b) => a[0] - b[0])) {
    const current = pods.filter((p) => p.metadata?.labels?.[LABEL.templateHash] === hash);
    const serving = current.length >= size ? current : pods;
    const isPlaced = serving.length >= size && serving.every((p) => !!p.spec?.nodeName);
    const isReady = isPlaced && serving.every(isPodReady);
    let message: string | undefined;
    const entries = [...pods]
      .sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1))
      .map((pod) => {
        const allocation = input.allocations.get(podKey(pod));
        if (allocation) {
          predictedWatts += allocation.predictedWatts;
          capped ||= allocation.powerLimitWatts !== null;
        }
        const explanation = input.explanations.get(podKey(pod));
        if (!pod.spec?.nodeName && explanation && message === undefined) message = explanation.message;
        const node = pod.spec?.nodeName ?? allocation?.nodeName;
        const gpus = pod.metadata?.annotations?.[ANNOTATION.gpus] ?? allocation?.gpus;
        return {
          name: pod.metadata?.name ?? '',
          ...(node ? { node } : {}),
          ...(gpus ? { gpus } : {}),
          ...(allocation?.powerLimitWatts != null ? { powerLimitWatts: allocation.powerLimitWatts } : {}),
        };
      });
    const phase = isReady ? 'Ready' : isPlaced ? 'Placed' : message !== undefined ? 'Unschedulable' : 'Pending';
    if (isPlaced) placed += 1;
    if (isReady) ready += 1;
    replicaStatuses.push({ index, phase, pods: entries, ...(message !== undefined && !isPlaced ? { message } : {}) });
  }
  const desired = md.spec.replicas;

  const pending: { pod: PodView; explanation: PodExplanationView }[] = [];
  for (const pod of input.pods) {
    if (pod.spec?.nodeName || pod.metadata?.deletionTimestamp) continue;
    const explanation = input.explanations.get(podKey(pod));
    if (explanation) pending.push({ pod, explanation });
  }
  pending.sort((a, b) => ((a.pod.metadata?.name ?? '') < (b.pod.metadata?.name ?? '') ? -1 : 1));
  const powerBlocked = pending.filter((p) => p.explanation.powerLimited);

  const generation = md.metadata.generation;
  const previous = new Map((md.status?.conditions ?? []).map((c) => [c.type, c]));
  const condition = (type: ConditionView['type'], status: boolean, reason: string, message: string): ConditionView => {
    const value = status ? 'True' : 'False';
    const before = previous.get(type);
    return {
      type,
      status: value,
      reason,
      message,
      lastTransitionTime: before && before.status === value ? before.lastTransitionTime : input.now.toISOString(),
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
  };
  const first = pending[0];
  const conditions: ConditionView[] = [
    condition(
      'Placed',
      placed >= desired,
      placed >= desired ? 'AllReplicasPlaced' : 'ReplicasPending',
      `${placed}/${desired} replicas placed`,
    ),
    condition(
      'PowerLimited',
      capped || powerBlocked.length > 0,
      powerBlocked.length > 0 ? 'PowerBudget' : capped ? 'PowerCapped' : 'WithinBudget',
      powerBlocked.length > 0
        ? `${powerBlocked.length} pod(s) wait for power: ${powerBlocked[0].explanation.message}`
        : capped
          ? 'some replicas run under a lowered GPU power limit'
          : 'no replica is limited by power',
    ),
    condition(
      'Unschedulable',
      pending.length > 0,
      pending.length > 0 ? 'FailedScheduling' : 'AllPodsScheduled',
      first
        ? `${pending.length} pod(s) cannot be placed; ${first.pod.metadata?.name}: ${first.explanation.message}`
        : 'every pod has been placed or is being placed',
    ),
  ];
  const watts = Math.round(predictedWatts);
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    replicas: replicaStatuses.length,
    placed,
    ready,
    predictedWatts: watts,
    predictedKilowatts: Math.round(watts / 100) / 10,
    selector: `${LABEL.deployment}=${md.metadata.name ?? ''}`,
    replicaStatuses,
    conditions,
  };
}

/** True when writing `next` would change what the object shows (so an unchanged status is not rewritten). */
export function statusChanged(
  previous: Partial<ModelDeploymentStatus> | undefined,
  next: ModelDeploymentStatus,
): boolean {
  return stableJson(previous ?? {}) !== stableJson(next);
}
