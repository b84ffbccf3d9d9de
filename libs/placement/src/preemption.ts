import type { PlacementEngine, ScoringChoice } from './engine';
import type { PlaceResult, ReplicaRequest } from './model';
import type { ValidReplica } from './request';

export interface PreemptionPlan {
  /** Replicas to evict, lowest priority first. Empty when the request fits as it is. */
  readonly victims: readonly string[];
  /** GPUs those victims hold (whole-GPU equivalents). */
  readonly gpusDisturbed: number;
  /** The node the request is sure to fit on once the victims are gone. */
  readonly nodeId: string | null;
}

/** Victim sets tried per node at most; beyond it only the greedy (lowest priority first) prefixes are tried. */
const MAX_SUBSETS_PER_NODE = 256; // every subset of up to 8 candidate victims

function milliOf(v: ValidReplica): number {
  return v.totalMilli;
}

/**
 * The smallest set of strictly lower-priority replicas whose eviction lets a single-pod
 * request fit: fewest victims, then fewest GPUs disturbed, then lowest priorities, then the
 * lowest node number. Victims are taken from one node (evicting them also frees their power
 * on every scope above it). Returns null when no such set exists, or for a gang (not
 * supported: gangs are only placed whole). The engine's state is unchanged on return.
 */
export function planPreemption(
  engine: PlacementEngine,
  request: ReplicaRequest,
  choice: ScoringChoice = {},
): PreemptionPlan | null {
  const v = engine.validateNew(request);
  const sc = engine.scoringFor(choice);
  if (v.pods.length !== 1 || v.topology !== null) return null;
  if (engine.wouldPlace(v, sc)) return { victims: [], gpusDisturbed: 0, nodeId: null };
  const replicas = engine.placedReplicas;
  type Plan = { victims: string[]; milli: number; prioritySum: number; node: number };
  const found: { best: Plan | null } = { best: null };
  const better = (victims: string[], milli: number, prioritySum: number, node: number): boolean => {
    const best = found.best;
    return (
      best === null ||
      victims.length < best.victims.length ||
      (victims.length === best.victims.length &&
        (milli < best.milli ||
          (milli === best.milli &&
            (prioritySum < best.prioritySum || (prioritySum === best.prioritySum && node < best.node)))))
    );
  };
  const fitsWithout = (n: number, ids: readonly string[]): boolean => {
    for (const id of ids) engine.suspend(id);
    const ok = engine.tenantFits(v) && engine.candidateOn(n, v, sc) !== null;
    for (let i = ids.length - 1; i >= 0; i--) engine.restore(ids[i]);
    return ok;
  };
  for (let n = 0; n < engine.nodeCount; n++) {
    const ids = [...new Set(engine.podsOn(n).map((p) => p.replicaId))]
      .map((id) => replicas.get(id)!)
      .filter((r) => r.valid.priority < v.priority)
      .sort(
        (a, b) =>
          a.valid.priority - b.valid.priority ||
          milliOf(a.valid) - milliOf(b.valid) ||
          (a.valid.request.id < b.valid.request.id ? -1 : 1),
      )
      .map((r) => r.valid.request.id);
    if (ids.length === 0) continue;
    if (!fitsWithout(n, ids)) continue;
    const consider = (set: string[]) => {
      const milli = set.reduce((a, id) => a + milliOf(replicas.get(id)!.valid), 0);
      const prio = set.reduce((a, id) => a + replicas.get(id)!.valid.priority, 0);
      if (better(set, milli, prio, n) && fitsWithout(n, set))
        found.best = { victims: set, milli, prioritySum: prio, node: n };
    };
    // Smallest sets first; all subsets while cheap, else the greedy prefixes.
    if (2 ** ids.length <= MAX_SUBSETS_PER_NODE) {
      for (let k = 1; k <= ids.length; k++) {
        if (found.best !== null && found.best.victims.length < k) break;
        for (const set of combinations(ids, k)) consider(set);
      }
    } else {
      for (let k = 1; k <= ids.length; k++) {
        if (found.best !== null && found.best.victims.length < k) break;
        consider(ids.slice(0, k));
      }
    }
  }
  const b = found.best;
  if (b === null) return null;
  return { victims: b.victims, gpusDisturbed: b.milli / 1000, nodeId: engine.topology.nodes[b.node].id };
}

/** Evicts the planned victims and places the request; null (and nothing changed) if no plan exists. */
export function preempt(
  engine: PlacementEngine,
  request: ReplicaRequest,
  choice: ScoringChoice = {},
): { victims: readonly string[]; result: PlaceResult } | null {
  const plan = planPreemption(engine, request, choice);
  if (plan === null) return null;
  for (const id of plan.victims) engine.release(id);
  const result = engine.place(request, choice);
  if (!result.placed) throw new Error(`preemption plan for ${request.id} did not free enough room`);
  return { victims: plan.victims, result };
}

function* combinations<T>(items: readonly T[], k: number, start = 0, prefix: T[] = []): Generator<T[]> {
  if (prefix.length === k) {
    yield [...prefix];
    return;
  }
  for (let i = start; i <= items.length - (k - prefix.length); i++) {
    prefix.push(items[i]);
    yield* combinations(items, k, i + 1, prefix);
    prefix.pop();
  }
}
