import type { PlacementEngine, ScoringChoice } from './engine';
import type { PlaceResult, ReplicaRequest } from './model';

/** Places a batch, in order, on a copy of the state; the real engine is never touched. */
export function whatIf(
  engine: PlacementEngine,
  requests: readonly ReplicaRequest[],
  choice: ScoringChoice = {},
): { results: PlaceResult[]; copy: PlacementEngine } {
  const copy = engine.fork();
  const results = requests.map((r) => copy.place(r, choice));
  return { results, copy };
}

export interface ReplicaHeadroom {
  /** More replicas that fit when every pod that allows capping runs capped. */
  readonly withCapping: number;
  /** More replicas that fit if none may be capped. */
  readonly withoutCapping: number;
  /** True when `limit` stopped the count before the cluster was full. */
  readonly truncated: boolean;
}

/**
 * How many more replicas like `template` fit now, with and without power capping: each is
 * placed on a copy until one does not fit (ids get a `~n` suffix). Stops at `limit`.
 */
export function replicasThatFit(
  engine: PlacementEngine,
  template: ReplicaRequest,
  choice: ScoringChoice = {},
  limit = 100_000,
): ReplicaHeadroom {
  const count = (capping: boolean): number => {
    const copy = engine.fork();
    let n = 0;
    while (n < limit) {
      const r: ReplicaRequest = {
        ...template,
        id: `${template.id}~${n}`,
        pods: template.pods.map((p) => ({
          ...p,
          id: `${p.id}~${n}`,
          cap: capping && p.cap ? { ...p.cap, always: true } : null,
        })),
      };
      if (!copy.place(r, choice).placed) break;
      n++;
    }
    return n;
  };
  const withCapping = count(true);
  const withoutCapping = count(false);
  return { withCapping, withoutCapping, truncated: withCapping >= limit || withoutCapping >= limit };
}
