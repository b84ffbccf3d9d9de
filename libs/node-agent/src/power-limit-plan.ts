/**
 * The node agent's reconcile, pure: from the pods on one node and its GPUs' readings to the
 * limit each GPU should have and the `nvidia-smi -pl` calls that get it there. The real agent
 * and the embedded API's simulated kubelet both run it, so simulated power follows real rules.
 */
import { ANNOTATION, parseGpuAnnotation, parsePowerLimitAnnotation } from '@switchyard/contracts';
import {
  SAFE_DEFAULT_FRACTION,
  clampLimitWatts,
  defaultLimitWatts,
  safeDefaultLimitWatts,
  type GpuPowerReading,
} from './gpu-power-reading';

/** A pod bound to this node, as the agent sees it. */
export interface NodePod {
  /** `namespace/name` */
  readonly key: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly phase?: string;
}

/** What one pod asks of its GPUs. */
export interface PodLimitDecision {
  readonly key: string;
  /** Indices on this node the pod holds. */
  readonly gpus: readonly number[];
  /** The limit it asks for (null: none, the GPUs' default), before clamping. */
  readonly requestedWatts: number | null;
  /** Why its annotations cannot be used as they are; its GPUs then get the safe default. */
  readonly malformed: string | null;
}

export type GpuLimitSource = 'default' | 'requested' | 'safe-default';

export interface GpuLimitDecision {
  readonly index: number;
  readonly watts: number;
  /** No pod (the driver default), the lowest request of the pods holding it, or the safe default. */
  readonly source: GpuLimitSource;
  /** Keys of the pods holding this GPU. */
  readonly pods: readonly string[];
}

export interface PowerLimitAction {
  readonly index: number;
  readonly fromWatts: number;
  readonly toWatts: number;
}

export interface PowerLimitPlan {
  readonly gpus: readonly GpuLimitDecision[];
  readonly pods: readonly PodLimitDecision[];
  /** Only GPUs whose limit in force differs from the decision by a watt or more. */
  readonly actions: readonly PowerLimitAction[];
}

export interface PowerLimitPlanOptions {
  /** Fraction of TDP for malformed annotations (default 0.7). */
  readonly safeDefaultFraction?: number;
}

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

/** Pods without `switchyard.io/gpus` were not placed by Switchyard: the agent leaves them alone. */
export function holdsSwitchyardGpus(pod: NodePod): boolean {
  return pod.annotations[ANNOTATION.gpus] !== undefined && !TERMINAL_PHASES.has(pod.phase ?? '');
}

/** What the plan reads of a pod, as one string: a watcher need not reconcile when it has not changed. */
export function planInputOf(pod: NodePod): string {
  const a = pod.annotations;
  return JSON.stringify([a[ANNOTATION.gpus] ?? null, a[ANNOTATION.powerLimitWatts] ?? null, holdsSwitchyardGpus(pod)]);
}

/** Reads one pod's annotations against the GPUs this node has. */
export function podLimitDecision(pod: NodePod, gpuIndices: ReadonlySet<number>): PodLimitDecision {
  const problems: string[] = [];
  const { gpus, malformed } = parseGpuAnnotation(pod.annotations[ANNOTATION.gpus]);
  if (malformed.length > 0) problems.push(`${ANNOTATION.gpus} entries cannot be read: ${malformed.join(', ')}`);
  const absent = gpus.filter((g) => !gpuIndices.has(g.index)).map((g) => g.index);
  if (absent.length > 0) problems.push(`${ANNOTATION.gpus} names GPUs this node does not have: ${absent.join(', ')}`);
  if (gpus.length === 0 && malformed.length === 0) problems.push(`${ANNOTATION.gpus} names no GPU`);
  const raw = pod.annotations[ANNOTATION.powerLimitWatts];
  const requestedWatts = parsePowerLimitAnnotation(raw);
  if (raw !== undefined && requestedWatts === null)
    problems.push(`${ANNOTATION.powerLimitWatts} ${JSON.stringify(raw)} is not a positive number of watts`);
  return {
    key: pod.key,
    gpus: gpus.map((g) => g.index).filter((i) => gpuIndices.has(i)),
    requestedWatts,
    malformed: problems.length > 0 ? problems.join('; ') : null,
  };
}

/** The limit one pod wants on one of its GPUs, and why. */
function podWants(pod: PodLimitDecision, gpu: GpuPowerReading, fraction: number): [number, GpuLimitSource] {
  if (pod.malformed !== null) return [safeDefaultLimitWatts(gpu, fraction), 'safe-default'];
  if (pod.requestedWatts === null) return [defaultLimitWatts(gpu), 'default'];
  return [clampLimitWatts(gpu, pod.requestedWatts), 'requested'];
}

/**
 * Each GPU gets the lowest limit any pod holding it wants (two pods sharing a GPU cannot both
 * have their way; the lower keeps both within budget); a GPU no pod holds goes back to default.
 */
export function planPowerLimits(
  pods: readonly NodePod[],
  readings: readonly GpuPowerReading[],
  options: PowerLimitPlanOptions = {},
): PowerLimitPlan {
  const fraction = options.safeDefaultFraction ?? SAFE_DEFAULT_FRACTION;
  const indices = new Set(readings.map((g) => g.index));
  const decisions = pods.filter(holdsSwitchyardGpus).map((p) => podLimitDecision(p, indices));
  const holders = new Map<number, PodLimitDecision[]>();
  for (const pod of decisions) for (const index of pod.gpus) holders.set(index, [...(holders.get(index) ?? []), pod]);
  const gpus: GpuLimitDecision[] = [];
  const actions: PowerLimitAction[] = [];
  for (const gpu of [...readings].sort((a, b) => a.index - b.index)) {
    const holding = holders.get(gpu.index) ?? [];
    let [watts, source]: [number, GpuLimitSource] = [defaultLimitWatts(gpu), 'default'];
    for (const pod of holding) {
      const [wanted, why] = podWants(pod, gpu, fraction);
      if (wanted < watts || (wanted === watts && source === 'default')) [watts, source] = [wanted, why];
    }
    gpus.push({ index: gpu.index, watts, source, pods: holding.map((p) => p.key) });
    if (Math.abs(gpu.limitWatts - watts) >= 1)
      actions.push({ index: gpu.index, fromWatts: gpu.limitWatts, toWatts: watts });
  }
  return { gpus, pods: decisions, actions };
}
