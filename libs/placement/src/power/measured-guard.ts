import type { PowerAction, PowerPodView, PowerSnapshot } from './power-snapshot';

export interface GuardThresholds {
  /** Measured share of the budget at which low-priority work is capped (POLCA: 0.80). */
  readonly capLow: number;
  /** Measured share at which every priority may be capped, lowest first (POLCA: 0.89). */
  readonly capAll: number;
  /** Caps are lifted only once measured load is this far below `capLow` (hysteresis). */
  readonly releaseMargin: number;
  /** Priorities below this are "low" for the first threshold (default: below standard, 500). */
  readonly lowPriorityBelow: number;
  /** At most this many caps are lifted per tick (staggered, so a rebound cannot overshoot at once). */
  readonly maxReleasesPerTick: number;
}

export const DEFAULT_GUARD_THRESHOLDS: GuardThresholds = {
  capLow: 0.8,
  capAll: 0.89,
  releaseMargin: 0.05,
  lowPriorityBelow: 500,
  maxReleasesPerTick: 50,
};

/**
 * The measured guard: where a scope's measured load crosses the first threshold of its budget,
 * low-priority work under it is capped; past the second, any priority, lowest first; each until
 * the projected measured load is back under the first threshold. A cap is projected to save its
 * predicted saving scaled by how the scope's measured load compares with its prediction.
 * Scopes without a fresh measurement are left to the predicted rule (never read as 0 W).
 */
export function planMeasuredGuard(
  snapshot: PowerSnapshot,
  thresholds: GuardThresholds = DEFAULT_GUARD_THRESHOLDS,
  alreadyCapped: ReadonlySet<string> = new Set(),
): PowerAction[] {
  const { scopes } = snapshot;
  const projected = scopes.map((s) => s.measuredMw);
  const ratio = scopes.map((s) => (s.measuredMw === null || s.loadMw <= 0 ? 1 : clamp(s.measuredMw / s.loadMw, 0, 2)));
  const level = (s: number): 0 | 1 | 2 => {
    const m = projected[s];
    const budget = scopes[s].budgetMw;
    if (m === null || budget <= 0) return 0;
    if (m >= thresholds.capAll * budget) return 2;
    return m >= thresholds.capLow * budget ? 1 : 0;
  };
  if (!scopes.some((_, s) => level(s) > 0)) return [];
  const actions: PowerAction[] = [];
  const candidates = snapshot.pods
    .filter((p) => !p.capped && !alreadyCapped.has(p.podId) && p.cappedLoadMw !== null && p.cappedLoadMw < p.loadMw)
    .sort((a, b) => a.priority - b.priority || saving(b) - saving(a) || (a.podId < b.podId ? -1 : 1));
  for (const pod of candidates) {
    const scope = pod.scopes.find((s) => {
      const l = level(s);
      return l === 2 || (l === 1 && pod.priority < thresholds.lowPriorityBelow);
    });
    if (scope === undefined) continue;
    const reason = level(scope) === 2 ? 'measured-critical' : 'measured-high';
    for (const s of pod.scopes)
      if (projected[s] !== null) projected[s] = (projected[s] as number) - saving(pod) * ratio[s];
    actions.push({
      kind: 'cap',
      podId: pod.podId,
      priority: pod.priority,
      scopeId: scopes[scope].id,
      reason,
      savedMw: saving(pod),
    });
  }
  return actions;
}

/**
 * Caps to lift: highest priority first, at most `maxReleasesPerTick`, each only where every scope
 * above the pod keeps its predicted load within budget and its measured load (projected) under
 * the first threshold less the margin. Without a fresh measurement the predicted rule alone
 * decides (telemetry lost is no reason to keep a cut's caps after the cut ended).
 */
export function planRestore(
  snapshot: PowerSnapshot,
  thresholds: GuardThresholds = DEFAULT_GUARD_THRESHOLDS,
): PowerAction[] {
  const { scopes } = snapshot;
  const loads = scopes.map((s) => s.loadMw);
  const projected = scopes.map((s) => s.measuredMw);
  const ratio = scopes.map((s) => (s.measuredMw === null || s.loadMw <= 0 ? 1 : clamp(s.measuredMw / s.loadMw, 0, 2)));
  const limit = thresholds.capLow - thresholds.releaseMargin;
  const actions: PowerAction[] = [];
  const capped = snapshot.pods
    .filter((p) => p.capped && p.uncappedLoadMw > p.loadMw)
    .sort((a, b) => b.priority - a.priority || (a.podId < b.podId ? -1 : 1));
  for (const pod of capped) {
    if (actions.length >= thresholds.maxReleasesPerTick) break;
    const added = pod.uncappedLoadMw - pod.loadMw;
    const fits = pod.scopes.every((s) => {
      const m = projected[s];
      return (
        loads[s] + added <= scopes[s].budgetMw && (m === null || m + added * ratio[s] < limit * scopes[s].budgetMw)
      );
    });
    if (!fits) continue;
    for (const s of pod.scopes) {
      loads[s] += added;
      if (projected[s] !== null) projected[s] = (projected[s] as number) + added * ratio[s];
    }
    actions.push({ kind: 'uncap', podId: pod.podId, priority: pod.priority, addedMw: added });
  }
  return actions;
}

function saving(pod: PowerPodView): number {
  return pod.cappedLoadMw === null ? 0 : pod.loadMw - pod.cappedLoadMw;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
