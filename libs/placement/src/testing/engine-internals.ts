import { nodeClassCount, powerOrderProblems as orderProblems } from '../core/introspection';
import { engineCore, type PlacementEngine } from '../engine';

/** Test helpers that look inside an engine (not part of its public surface). */

/** Disagreements between each node class's power order and one rebuilt from scratch (empty = consistent). */
export function powerOrderProblems(engine: PlacementEngine): string[] {
  return orderProblems(engineCore(engine));
}

/** Number of distinct node states (classes) right now. */
export function classCount(engine: PlacementEngine): number {
  return nodeClassCount(engineCore(engine));
}
