import type { PowerAction, PowerPlan, PowerPodView, PowerSnapshot } from './power-snapshot';

export interface ComplianceOptions {
  /** Replicas of this priority or above are never preempted for power (they are reported instead). Default 1000 (critical). */
  readonly unpreemptibleFrom?: number;
}

export const DEFAULT_UNPREEMPTIBLE_FROM = 1000;

/**
 * Brings every scope's predicted load within its budget, in the order the power loop promises:
 * first caps (pods whose deployment allows it go to their lowest limit), lowest priority first;
 * then preemptions, lowest priority first and the fewest victims, within each deployment's
 * disruption limit where the budget can be met so; what is still over is `unresolved`.
 * Pure: the same code plans the live state's tick and a what-if on a fork.
 */
export function planCompliance(snapshot: PowerSnapshot, options: ComplianceOptions = {}): PowerPlan {
  const loads = snapshot.scopes.map((s) => s.loadMw);
  const over = (s: number) => loads[s] > snapshot.scopes[s].budgetMw;
  const anyOver = (pod: PowerPodView) => pod.scopes.some(over);
  const actions: PowerAction[] = [];
  const subtract = (pod: PowerPodView, mw: number) => {
    for (const s of pod.scopes) loads[s] -= mw;
  };
  if (!loads.some((_, s) => over(s))) return { actions, unresolved: [], loadAfterMw: loads };

  // 1. Caps. Capping only lowers loads, so one pass in priority order is enough: a pod skipped
  // because nothing above it was over cannot be needed later.
  const current = new Map<string, number>(snapshot.pods.map((p) => [p.podId, p.loadMw]));
  const cappable = snapshot.pods
    .filter((p) => !p.capped && p.cappedLoadMw !== null && p.cappedLoadMw < p.loadMw)
    .sort((a, b) => a.priority - b.priority || saving(b) - saving(a) || cmp(a.podId, b.podId));
  for (const pod of cappable) {
    if (!anyOver(pod)) continue;
    const scope = pod.scopes.find(over) as number;
    const savedMw = saving(pod);
    subtract(pod, savedMw);
    current.set(pod.podId, pod.cappedLoadMw as number);
    actions.push({
      kind: 'cap',
      podId: pod.podId,
      priority: pod.priority,
      scopeId: snapshot.scopes[scope].id,
      reason: 'over-budget',
      savedMw,
    });
  }

  // 2. Preemptions, whole replicas.
  const unpreemptible = options.unpreemptibleFrom ?? DEFAULT_UNPREEMPTIBLE_FROM;
  const replicas = groupReplicas(snapshot.pods, current).filter((r) => r.priority < unpreemptible);
  const allowed = new Map(snapshot.disruptionAllowed ?? []);
  const gone = new Set<string>();
  const stuck = new Set<number>();
  for (;;) {
    let worst = -1;
    for (let s = 0; s < loads.length; s++)
      if (over(s) && !stuck.has(s) && (worst < 0 || overBy(s) > overBy(worst))) worst = s;
    if (worst < 0) break;
    const under = replicas.filter((r) => !gone.has(r.id) && (r.loadIn.get(worst) ?? 0) > 0);
    const pick = choose(under, worst, overBy(worst), allowed);
    if (!pick) {
      stuck.add(worst);
      continue;
    }
    gone.add(pick.replica.id);
    for (const [s, mw] of pick.replica.loadIn) loads[s] -= mw;
    if (pick.replica.deployment !== null && allowed.has(pick.replica.deployment))
      allowed.set(pick.replica.deployment, (allowed.get(pick.replica.deployment) ?? 0) - 1);
    actions.push({
      kind: 'preempt',
      replicaId: pick.replica.id,
      podIds: pick.replica.podIds,
      priority: pick.replica.priority,
      scopeId: snapshot.scopes[worst].id,
      savedMw: pick.replica.loadIn.get(worst) ?? 0,
      disruptionExceeded: pick.disruptionExceeded,
    });
  }
  const unresolved = [...stuck]
    .filter(over)
    .map((s) => ({ scopeId: snapshot.scopes[s].id, kind: snapshot.scopes[s].kind, overByMw: overBy(s) }));
  return { actions, unresolved, loadAfterMw: loads };

  function overBy(s: number): number {
    return loads[s] - snapshot.scopes[s].budgetMw;
  }
}

interface ReplicaLoad {
  readonly id: string;
  readonly deployment: string | null;
  readonly priority: number;
  readonly podIds: string[];
  /** What the replica adds to each scope it touches (after the caps of this plan). */
  readonly loadIn: Map<number, number>;
}

function groupReplicas(pods: readonly PowerPodView[], current: ReadonlyMap<string, number>): ReplicaLoad[] {
  const byId = new Map<string, ReplicaLoad>();
  for (const pod of pods) {
    let r = byId.get(pod.replicaId);
    if (!r) {
      r = { id: pod.replicaId, deployment: pod.deployment, priority: pod.priority, podIds: [], loadIn: new Map() };
      byId.set(pod.replicaId, r);
    }
    r.podIds.push(pod.podId);
    // A gang takes the lowest priority of its members only if they disagree; they do not in practice.
    const mw = current.get(pod.podId) ?? pod.loadMw;
    for (const s of pod.scopes) r.loadIn.set(s, (r.loadIn.get(s) ?? 0) + mw);
  }
  return [...byId.values()];
}

/**
 * The victim for one over-budget scope: among the lowest priority present, one replica that
 * alone covers the excess (the smallest such, to disturb least), else the largest (fewest
 * victims overall). Replicas within their deployment's disruption limit first; only when
 * none of the lowest priority is, the limit gives way (and the action says so).
 */
function choose(
  candidates: readonly ReplicaLoad[],
  scope: number,
  needMw: number,
  allowed: ReadonlyMap<string, number>,
): { replica: ReplicaLoad; disruptionExceeded: boolean } | null {
  if (candidates.length === 0) return null;
  const lowest = Math.min(...candidates.map((r) => r.priority));
  const level = candidates.filter((r) => r.priority === lowest);
  const within = level.filter(
    (r) => r.deployment === null || !allowed.has(r.deployment) || (allowed.get(r.deployment) ?? 0) > 0,
  );
  const pool = within.length > 0 ? within : level;
  const load = (r: ReplicaLoad) => r.loadIn.get(scope) ?? 0;
  const covering = pool.filter((r) => load(r) >= needMw);
  const replica =
    covering.length > 0
      ? covering.reduce((a, b) => (load(b) < load(a) || (load(b) === load(a) && b.id < a.id) ? b : a))
      : pool.reduce((a, b) => (load(b) > load(a) || (load(b) === load(a) && b.id < a.id) ? b : a));
  return { replica, disruptionExceeded: within.length === 0 };
}

function saving(pod: PowerPodView): number {
  return pod.cappedLoadMw === null ? 0 : pod.loadMw - pod.cappedLoadMw;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
