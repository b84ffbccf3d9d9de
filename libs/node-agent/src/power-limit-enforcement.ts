/**
 * What the agent reports back on each pod, after actuation: the limit actually in force on its
 * GPUs and why it is that one. Two annotations, so the control plane's power loop (and
 * `kubectl get pod -o yaml`) can read them without parsing prose.
 */
import { ANNOTATION, formatPowerLimitAnnotation } from '@switchyard/contracts';
import { clampLimitWatts, type GpuPowerReading } from './gpu-power-reading';
import type { PodLimitDecision, PowerLimitPlan } from './power-limit-plan';

/**
 * - `default`: the pod asked for no limit; its GPUs run at the driver default.
 * - `requested`: its request is in force.
 * - `clamped`: its request was outside the GPU's range (or above TDP) and was clamped to it.
 * - `lowered`: it shares a GPU with a pod that asked for less; the lower limit is in force.
 * - `malformed`: its annotations cannot be read; the safe default (about 70 % of TDP) is in force.
 * - `failed`: the driver did not take the limit; the annotation shows what is in force instead.
 */
export type PowerLimitEnforcement = 'default' | 'requested' | 'clamped' | 'lowered' | 'malformed' | 'failed';

export interface PodEnforcementReport {
  readonly key: string;
  /** The highest limit in force on the pod's GPUs (an upper bound per GPU); null when it holds none here. */
  readonly enforcedWatts: number | null;
  readonly enforcement: PowerLimitEnforcement;
  readonly detail: string | null;
}

export function enforcementReports(plan: PowerLimitPlan, after: readonly GpuPowerReading[]): PodEnforcementReport[] {
  const readings = new Map(after.map((g) => [g.index, g]));
  const decided = new Map(plan.gpus.map((g) => [g.index, g.watts]));
  return plan.pods.map((pod) => report(pod, readings, decided));
}

function report(
  pod: PodLimitDecision,
  readings: ReadonlyMap<number, GpuPowerReading>,
  decided: ReadonlyMap<number, number>,
): PodEnforcementReport {
  const gpus = pod.gpus.map((i) => readings.get(i)).filter((g): g is GpuPowerReading => g !== undefined);
  const enforcedWatts = gpus.length > 0 ? Math.max(...gpus.map((g) => g.limitWatts)) : null;
  const base = { key: pod.key, enforcedWatts };
  if (gpus.some((g) => Math.abs(g.limitWatts - (decided.get(g.index) ?? g.limitWatts)) >= 1))
    return { ...base, enforcement: 'failed', detail: 'the driver did not apply the planned limit' };
  if (pod.malformed !== null) return { ...base, enforcement: 'malformed', detail: pod.malformed };
  if (pod.requestedWatts === null) {
    const lowered = gpus.some((g) => (decided.get(g.index) ?? 0) < clampLimitWatts(g, g.defaultWatts));
    return { ...base, enforcement: lowered ? 'lowered' : 'default', detail: null };
  }
  const requested = pod.requestedWatts;
  const wanted = gpus.map((g) => clampLimitWatts(g, requested));
  if (gpus.some((g, i) => (decided.get(g.index) ?? 0) < wanted[i]))
    return { ...base, enforcement: 'lowered', detail: null };
  if (wanted.some((w) => w !== requested)) return { ...base, enforcement: 'clamped', detail: null };
  return { ...base, enforcement: 'requested', detail: null };
}

/** The annotation values a report stands for (null removes one). */
export function enforcementAnnotations(report: PodEnforcementReport): Record<string, string | null> {
  return {
    [ANNOTATION.enforcedPowerLimitWatts]:
      report.enforcedWatts === null ? null : formatPowerLimitAnnotation(report.enforcedWatts),
    [ANNOTATION.powerLimitEnforcement]: report.enforcement,
  };
}

/** The merge patch of annotations that brings a pod in line with its report, or null when it already is. */
export function enforcementPatch(
  current: Readonly<Record<string, string>>,
  report: PodEnforcementReport,
): Record<string, string | null> | null {
  const wanted = enforcementAnnotations(report);
  const changed = Object.entries(wanted).filter(([name, value]) => (current[name] ?? null) !== value);
  return changed.length > 0 ? Object.fromEntries(changed) : null;
}
