import { gangDemand } from '../filters/gang-anchor';
import type { ValidReplica } from '../request';
import type { PlacedPod } from './cluster-state';
import type { EngineCore } from './engine-core';
import type { Candidate, Scoring } from './search';

/**
 * Node searches (findBest calls) one gang placement may spend backtracking inside its anchor
 * scopes, beyond the first (greedy) try of each pod. Far above what a rack of a few nodes
 * needs (a 2-pod gang in a 4-node rack needs at most 4 + 4 x 4 = 20), so the search is exact
 * there and on every small cluster. Once spent, the anchor being searched counts as not
 * fitting and the remaining anchors get the greedy try only, so a row or hall gang that
 * cannot fit costs at most this many extra node searches (tens of milliseconds at campus
 * scale) instead of an exponential search.
 */
export const MAX_GANG_SEARCH_STEPS = 8192;

/**
 * A gang (or a single pod with a topology): the best node for its first pod anchors the
 * topology scope, and the rest go inside it (placeInAnchor). If no assignment exists there,
 * that anchor is excluded and the next best is tried. Pods are committed on success; the
 * state is unchanged on null.
 */
export function placeGang(
  core: EngineCore,
  v: ValidReplica,
  sc: Scoring,
  spread: ReadonlyMap<number, number> | null,
): { placed: PlacedPod[]; score: number } | null {
  const st = core.st;
  const topo = st.topology;
  const N = topo.nodes.length;
  const demand = gangDemand(v);
  // Even every pod capped would exceed the tenant's watt quota: no anchor can take it.
  if (demand.milliwatts > st.tenants.roomMw(v.tenant)) return null;
  const gang = v.topology === null ? null : demand;
  const anchors = new Set<number>();
  const budget = { steps: MAX_GANG_SEARCH_STEPS };
  for (;;) {
    const area = { lo: 0, hi: N, spread, anchors, gang, skip: null };
    const c0 = core.search.findBest(v.pods[0], sc, area, st.tenants.roomMw(v.tenant));
    if (c0 === null) return null;
    const anchor = v.topology === null ? topo.root : st.ancestorOfKind(c0.node, v.topology);
    const got = placeInAnchor(core, v, sc, spread, anchor, c0, budget);
    if (got !== null) return got;
    if (anchor === topo.root) return null;
    anchors.add(anchor);
  }
}

/**
 * Every pod of a gang inside one anchor scope, or null with the state unchanged. Depth-first
 * over the pods in order: each pod tries the anchor's nodes in the policy's order (best score,
 * then lowest node number, given the pods placed before it); when a later pod fits nowhere,
 * the previous pod moves to its next node. The first complete assignment in that order wins,
 * which is what the brute-force reference enumerates. The first try of every pod is the
 * greedy choice, so a gang that fits greedily costs no more than before. Each further node
 * search spends one step of the shared budget (MAX_GANG_SEARCH_STEPS).
 */
function placeInAnchor(
  core: EngineCore,
  v: ValidReplica,
  sc: Scoring,
  spread: ReadonlyMap<number, number> | null,
  anchor: number,
  first: Candidate,
  budget: { steps: number },
): { placed: PlacedPod[]; score: number } | null {
  const st = core.st;
  const lo = st.topology.scopeStart[anchor];
  const hi = st.topology.scopeEnd[anchor];
  const uncommit = (p: PlacedPod) => st.apply(p, v, -1);
  const find = (i: number, skip: ReadonlySet<number> | null) =>
    core.search.findBest(
      v.pods[i],
      sc,
      { lo, hi, spread, anchors: null, gang: null, skip },
      st.tenants.roomMw(v.tenant),
    );
  const tried: Set<number>[] = v.pods.map(() => new Set<number>());
  // Per pod: states (node class, rack, node power) whose whole subtree failed. A node in the
  // same state is its mirror image for every later pod, so it fails the same way: skipped.
  const failed: Set<string>[] = v.pods.map(() => new Set<string>());
  const placed: PlacedPod[] = [];
  const scores: number[] = [];
  let pending: Candidate | null = first;
  let checkedAlone = false;
  let i = 0;
  while (i < v.pods.length) {
    let c: Candidate | null = null;
    if (pending !== null) {
      c = pending;
      pending = null;
    } else if (tried[i].size === 0 || budget.steps-- > 0) {
      c = find(i, tried[i].size === 0 ? null : tried[i]);
    }
    if (c === null && i > 0 && !checkedAlone) {
      // Before backtracking at all: every later pod must fit in the anchor by itself (placing
      // more never makes room), else no assignment exists. Then search again from the start.
      checkedAlone = true;
      for (let k = placed.length - 1; k >= 0; k--) uncommit(placed[k]);
      placed.length = 0;
      scores.length = 0;
      for (let j = 1; j < v.pods.length; j++) {
        budget.steps--;
        if (find(j, null) === null) return null;
      }
      tried.forEach((t) => t.clear());
      failed.forEach((f) => f.clear());
      pending = first;
      i = 0;
      continue;
    }
    if (c === null) {
      // Pod i fits nowhere after the pods before it: move pod i - 1 to its next node.
      tried[i].clear();
      failed[i].clear();
      if (i === 0 || budget.steps <= 0) break;
      i--;
      const back = placed.pop()!;
      uncommit(back);
      scores.pop();
      failed[i].add(mirrorKey(core, back.node));
      continue;
    }
    tried[i].add(c.node);
    if (failed[i].size > 0 && failed[i].has(mirrorKey(core, c.node))) continue;
    placed.push(core.commit(v, v.pods[i], c));
    scores.push(c.score);
    i++;
  }
  if (placed.length === v.pods.length) return { placed, score: scores.reduce((a, x) => a + x, 0) };
  for (let k = placed.length - 1; k >= 0; k--) uncommit(placed[k]);
  return null;
}

/** Nodes with equal keys are interchangeable for a gang search: same free state, same enclosing scope, same node power. */
function mirrorKey(core: EngineCore, n: number): string {
  const st = core.st;
  return `${st.classKeyOf(n)}|${st.enclosingScope(n)}|${st.nodeLoad[n]}|${st.nodeBudget[n]}`;
}
