import { planCompliance, type ComplianceOptions } from './budget-compliance';
import { DEFAULT_GUARD_THRESHOLDS, planMeasuredGuard, planRestore, type GuardThresholds } from './measured-guard';
import type { PowerAction, PowerPlan, PowerSnapshot } from './power-snapshot';

/** Measured watts of a node (idle, GPUs and host, at the wall), or null when there is no fresh reading. */
export type MeasuredWatts = (nodeId: string) => number | null;

/** What the power planners need of the engine: a snapshot, and a way to apply what they decide. */
export interface PowerEngine {
  powerSnapshot(measured?: MeasuredWatts): PowerSnapshot;
  /** Re-prices the pods an action names: capped to their lowest limit, uncapped, or 0 W while evicted for power. */
  applyPowerAction(action: PowerAction): void;
}

export interface PowerTickOptions extends ComplianceOptions {
  readonly thresholds?: GuardThresholds;
}

export interface PowerTickResult {
  readonly actions: readonly PowerAction[];
  readonly unresolved: PowerPlan['unresolved'];
  /** Scopes over budget (predicted) before the tick acted. */
  readonly overBefore: number;
}

/**
 * One tick of the power loop's decisions, applied to `engine` as it goes: predicted compliance
 * first (caps, then preemptions), then the measured guard, then, only on a tick that needed
 * neither, staggered restores. The control plane runs it on its live cluster state; a what-if
 * runs the very same function on a fork.
 */
export function powerTick(
  engine: PowerEngine,
  measured?: MeasuredWatts,
  options: PowerTickOptions = {},
): PowerTickResult {
  const thresholds = options.thresholds ?? DEFAULT_GUARD_THRESHOLDS;
  const first = engine.powerSnapshot(measured);
  const overBefore = first.scopes.filter((s) => s.loadMw > s.budgetMw).length;
  const compliance = planCompliance(first, options);
  for (const a of compliance.actions) engine.applyPowerAction(a);
  // The readings predate this tick's caps: scale them by how much each scope's prediction fell.
  const since = (snapshot: PowerSnapshot): PowerSnapshot => ({
    ...snapshot,
    scopes: snapshot.scopes.map((s, i) => {
      const before = first.scopes[i];
      const m = before.measuredMw;
      return { ...s, measuredMw: m === null || before.loadMw <= 0 ? m : (m * s.loadMw) / before.loadMw };
    }),
  });
  const guard = planMeasuredGuard(since(engine.powerSnapshot(measured)), thresholds);
  for (const a of guard) engine.applyPowerAction(a);
  const restores =
    compliance.actions.length + guard.length === 0 ? planRestore(engine.powerSnapshot(measured), thresholds) : [];
  for (const a of restores) engine.applyPowerAction(a);
  return { actions: [...compliance.actions, ...guard, ...restores], unresolved: compliance.unresolved, overBefore };
}
