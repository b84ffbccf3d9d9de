import { PolicyContractError } from '../errors';
import { gangScopeHolds, type GangDemand } from '../filters/gang-anchor';
import { stateStatus } from '../filters/pipeline';
import { powerFits } from '../filters/power';
import { capAllowed, minNeedMw, podMilliwatts, runsCapped } from '../filters/power-choice';
import { FITS } from '../filters/status';
import type { NodeResources, PolicyContext, PowerView, ScoringPolicy } from '../policies/policy';
import type { ValidPod } from '../request';
import type { ClusterState } from './cluster-state';
import { lowerBound, type ClassFit, type NodeClass } from './node-classes';

export interface Scoring {
  readonly policy: ScoringPolicy;
  readonly ctx: PolicyContext;
  readonly explain: boolean;
}

/** Where a search may look: a node range (a scope subtree) minus excluded scopes. */
export interface SearchArea {
  readonly lo: number;
  readonly hi: number;
  /** Racks holding the deployment already (soft spreading), keyed by scope number. */
  readonly spread: ReadonlyMap<number, number> | null;
  /** Gang anchors already tried. */
  readonly anchors: ReadonlySet<number> | null;
  /** For a gang's first pod: what its anchor, and every scope above it, must hold. */
  readonly gang: GangDemand | null;
  /** Nodes already tried for this pod by the gang search (backtracking); null for none. */
  readonly skip: ReadonlySet<number> | null;
}

export interface Candidate {
  readonly node: number;
  readonly gpus: readonly number[];
  readonly score: number;
  readonly milliwatts: number;
  readonly powerLimitWatts: number | null;
}

/** Demand shapes remembered per node class; recent shapes are what repeats. */
const MAX_CACHED_SHAPES = 64;
const NO_POWER: PowerView = {
  headroomWatts: Number.POSITIVE_INFINITY,
  budgetWatts: Number.POSITIVE_INFINITY,
  podWatts: 0,
  enclosingHeadroomWatts: Number.POSITIVE_INFINITY,
  enclosingBudgetWatts: Number.POSITIVE_INFINITY,
};

/**
 * The exact best-node search for one pod: score every class the filters let through (cached),
 * visit classes from the best score down, and take the lowest-numbered node with enough power
 * in the best class that has one. That is "score every feasible node, highest score wins,
 * lowest node number breaks ties", which the reference computes naively. A class keeps its
 * members sorted by node number and a scope's nodes are one range, so "first member under
 * this scope with power" is a binary search plus a walk that jumps past any scope without it.
 */
export class NodeSearch {
  private cacheOwner: Scoring | null = null;
  /** The tightest headroom and where it is, left by the last blockedAt() that let a node through. */
  private scanRoomMw = 0;
  private scanScope = -1;

  constructor(private readonly st: ClusterState) {}

  /** Switching policy or workload invalidates every cached class score. */
  useScoring(sc: Scoring): void {
    const o = this.cacheOwner;
    if (o !== null && o.policy === sc.policy && o.ctx === sc.ctx) return;
    this.cacheOwner = sc;
    this.st.classes.cacheGeneration++;
  }

  /** The policy's GPUs and (power-blind) score for a class that passed the state filters, cached; null if it declines. */
  classFit(cls: NodeClass, pod: ValidPod, sc: Scoring): ClassFit | null {
    const generation = this.st.classes.cacheGeneration;
    if (cls.cacheGeneration !== generation) {
      cls.cache.clear();
      cls.cacheGeneration = generation;
    }
    let fit = cls.cache.get(pod.demandKey);
    if (fit === undefined) {
      fit = computeFit(cls.resources, pod, sc);
      // Workloads with many distinct pod shapes (traces) would grow every class's cache without bound.
      if (cls.cache.size >= MAX_CACHED_SHAPES) cls.cache.clear();
      cls.cache.set(pod.demandKey, fit);
    }
    return fit;
  }

  /** Best node for one pod in an area: highest score, lowest node number on ties; null if none. */
  findBest(pod: ValidPod, sc: Scoring, area: SearchArea, tenantRoomMw: number): Candidate | null {
    const cands: { cls: NodeClass; fit: ClassFit }[] = [];
    for (const cls of this.st.classes.list) {
      if (stateStatus(pod, cls) !== FITS) continue;
      const fit = this.classFit(cls, pod, sc);
      if (fit !== null) cands.push({ cls, fit });
    }
    if (cands.length === 0) return null;
    cands.sort((a, b) => b.fit.score - a.fit.score);
    if (sc.policy.powerAware) return this.findBestPowerAware(pod, sc, area, tenantRoomMw, cands);
    for (let i = 0; i < cands.length;) {
      const score = cands[i].fit.score;
      let best = -1;
      let bestFit: ClassFit | null = null;
      let bestCls: NodeClass | null = null;
      let j = i;
      for (; j < cands.length && cands[j].fit.score === score; j++) {
        const n = this.firstFeasible(cands[j].cls, pod, area, best >= 0 ? best : area.hi, tenantRoomMw);
        if (n >= 0) {
          best = n;
          bestFit = cands[j].fit;
          bestCls = cands[j].cls;
        }
      }
      if (bestFit !== null && bestCls !== null) {
        const room = Math.min(this.st.powerRoom(best).roomMw, tenantRoomMw);
        return this.candidate(best, bestFit, score, pod, capAllowed(pod, bestCls.limitMin, bestCls.limitMax), room);
      }
      i = j;
    }
    return null;
  }

  /** A PowerView for a node as the policies see it, for a pod adding podMilliwatts. */
  powerView(n: number, podMilliwatts: number): PowerView {
    const { roomMw, scope } = this.st.powerRoom(n);
    return this.viewOf(n, roomMw, scope, podMilliwatts);
  }

  private candidate(
    n: number,
    fit: ClassFit,
    score: number,
    pod: ValidPod,
    capOk: boolean,
    roomMw: number,
  ): Candidate | null {
    const mw = podMilliwatts(pod, capOk, roomMw);
    if (mw < 0) return null;
    return {
      node: n,
      gpus: fit.gpus,
      score,
      milliwatts: mw,
      powerLimitWatts: runsCapped(pod, mw) ? pod.capLimitWatts : null,
    };
  }

  /**
   * Lowest-numbered member of cls in [area.lo, hi) with power for the pod, or -1. A member
   * blocked by a scope (no headroom, excluded) lets the walk jump past that whole scope.
   */
  private firstFeasible(cls: NodeClass, pod: ValidPod, area: SearchArea, hi: number, tenantRoomMw: number): number {
    const need = minNeedMw(pod, capAllowed(pod, cls.limitMin, cls.limitMax), tenantRoomMw);
    if (need === Number.POSITIVE_INFINITY) return -1;
    const m = cls.members;
    let i = lowerBound(m, area.lo);
    while (i < m.length) {
      const n = m[i];
      if (n >= hi) return -1;
      const blocked = this.blockedAt(n, need, area);
      if (blocked === -1) return n;
      i = blocked === -2 ? i + 1 : lowerBound(m, this.st.topology.scopeEnd[blocked], i + 1);
    }
    return -1;
  }

  /**
   * The power filter (and the area's exclusions and gang anchor filter) walking the node's
   * path from the root: -1 if the node can take `need` milliwatts in this area; the first
   * blocking scope (so a walk can jump past it); or -2 if the node itself blocks. Leaves the
   * node's tightest headroom and where it is in scanRoomMw/scanScope (no allocation).
   */
  private blockedAt(n: number, need: number, area: SearchArea): number {
    if (area.skip !== null && area.skip.has(n)) return -2;
    const st = this.st;
    const path = st.topology.nodePath[n];
    let room = st.nodeBudget[n] - st.nodeLoad[n];
    let at = -1;
    const gang = area.gang;
    let gangOpen = gang !== null;
    for (let k = 0; k < path.length; k++) {
      const s = path[k];
      const r = st.scopeBudget[s] - st.scopeLoad[s];
      if (!powerFits(need, r)) return s;
      if (r < room) {
        room = r;
        at = s;
      }
      if (area.spread !== null && area.spread.has(s)) return s;
      if (area.anchors !== null && area.anchors.has(s)) return s;
      if (gangOpen) {
        const isAnchor = st.topology.scopeKind[s] === gang!.kind;
        if (!gangScopeHolds(gang!, isAnchor, r, st.scopeFreeMilli[s])) return s;
        if (isAnchor) gangOpen = false;
      }
    }
    this.scanRoomMw = room;
    this.scanScope = at;
    return powerFits(need, st.nodeBudget[n] - st.nodeLoad[n]) ? -1 : -2;
  }

  /**
   * A power-aware policy scores each feasible node with its own PowerView. Classes are
   * visited by their highest possible score (scoreBounds, cached); once that is below the
   * best score found, no node of the remaining classes can win, not even on a tie.
   */
  private findBestPowerAware(
    pod: ValidPod,
    sc: Scoring,
    area: SearchArea,
    tenantRoomMw: number,
    cands: { cls: NodeClass; fit: ClassFit }[],
  ): Candidate | null {
    const st = this.st;
    let best: Candidate | null = null;
    // The power order covers the whole cluster; a narrow area (a gang's scope, one node) is
    // cheaper to walk by node number.
    const ordered = sc.policy.powerAware === 'enclosing-scope' && area.lo === 0 && area.hi >= st.topology.nodes.length;
    for (const { cls, fit } of cands) {
      if (best !== null && fit.score < best.score) break;
      const capOk = capAllowed(pod, cls.limitMin, cls.limitMax);
      const need = minNeedMw(pod, capOk, tenantRoomMw);
      if (need === Number.POSITIVE_INFINITY) continue;
      if (ordered) {
        best = this.bestByPower(cls, fit, pod, sc, area, need, capOk, tenantRoomMw, best);
        continue;
      }
      const m = cls.members;
      // Members of one class differ only in their PowerView; neighbours often share it, so
      // the last view's score is reused (the policy is a pure function of its arguments).
      let lastRoom = Number.NaN;
      let lastBudget = Number.NaN;
      let lastMw = Number.NaN;
      let lastEnclosingLoad = Number.NaN;
      let lastEnclosingBudget = Number.NaN;
      let lastScore = 0;
      let i = lowerBound(m, area.lo);
      while (i < m.length && m[i] < area.hi) {
        const n = m[i];
        const blocked = this.blockedAt(n, need, area);
        if (blocked >= 0) {
          i = lowerBound(m, st.topology.scopeEnd[blocked], i + 1);
          continue;
        }
        i++;
        if (blocked === -2) continue;
        const roomMw = this.scanRoomMw;
        const mw = podMilliwatts(pod, capOk, Math.min(roomMw, tenantRoomMw));
        if (mw < 0) continue;
        const budgetMw = this.scanScope < 0 ? st.nodeBudget[n] : st.scopeBudget[this.scanScope];
        const e = st.enclosingScope(n);
        let score = lastScore;
        if (
          roomMw !== lastRoom ||
          budgetMw !== lastBudget ||
          mw !== lastMw ||
          st.scopeLoad[e] !== lastEnclosingLoad ||
          st.scopeBudget[e] !== lastEnclosingBudget
        ) {
          score = scored(sc, cls.resources, pod, fit, this.viewOf(n, roomMw, this.scanScope, mw));
          lastRoom = roomMw;
          lastBudget = budgetMw;
          lastMw = mw;
          lastEnclosingLoad = st.scopeLoad[e];
          lastEnclosingBudget = st.scopeBudget[e];
          lastScore = score;
        }
        if (best === null || score > best.score || (score === best.score && n < best.node))
          best = this.candidate(n, fit, score, pod, capOk, Math.min(roomMw, tenantRoomMw));
      }
    }
    return best;
  }

  /**
   * For an 'enclosing-scope' policy: the best member of one class, merged into `best`. The
   * score never increases along the class's byPower order, so within a group of equal keys the
   * first feasible member (lowest number) is the group's best, and once a group scores below
   * the best found, no later group can win, not even on a tie. Groups scoring equal to the best
   * (distinct keys can round to one score) are searched for a lower node number.
   */
  private bestByPower(
    cls: NodeClass,
    fit: ClassFit,
    pod: ValidPod,
    sc: Scoring,
    area: SearchArea,
    need: number,
    capOk: boolean,
    tenantRoomMw: number,
    best: Candidate | null,
  ): Candidate | null {
    const order = cls.byPower;
    const classes = this.st.classes;
    for (let i = 0; i < order.size;) {
      const key = classes.nodePowerKey[order.nodes[i]];
      const end = classes.powerGroupEnd(order, key, i + 1);
      // Every member of the group scores the same (the policy reads only this key).
      let groupScore = Number.POSITIVE_INFINITY;
      if (best !== null) {
        groupScore = scored(sc, cls.resources, pod, fit, this.powerView(order.nodes[i], pod.milliwatts));
        if (groupScore < best.score) break;
      }
      for (let k = i; k < end; k++) {
        const n = order.nodes[k];
        if (best !== null && groupScore === best.score && n >= best.node) break;
        if (this.blockedAt(n, need, area) !== -1) continue;
        const room = Math.min(this.scanRoomMw, tenantRoomMw);
        const mw = podMilliwatts(pod, capOk, room);
        if (mw < 0) continue;
        const score = scored(sc, cls.resources, pod, fit, this.viewOf(n, this.scanRoomMw, this.scanScope, mw));
        if (best === null || score > best.score || (score === best.score && n < best.node))
          best = this.candidate(n, fit, score, pod, capOk, room);
        break;
      }
      i = end;
    }
    return best;
  }

  /** A node's PowerView from its tightest headroom (and where it is) and the pod's watts. */
  private viewOf(n: number, roomMw: number, scope: number, podMilliwatts: number): PowerView {
    const st = this.st;
    const e = st.enclosingScope(n);
    return {
      headroomWatts: roomMw / 1000,
      budgetWatts: (scope < 0 ? st.nodeBudget[n] : st.scopeBudget[scope]) / 1000,
      podWatts: podMilliwatts / 1000,
      enclosingHeadroomWatts: (st.scopeBudget[e] - st.scopeLoad[e]) / 1000,
      enclosingBudgetWatts: st.scopeBudget[e] / 1000,
    };
  }
}

function scored(sc: Scoring, res: NodeResources, pod: ValidPod, fit: ClassFit, view: PowerView): number {
  const score = sc.policy.score(res, pod.demand, fit.gpus, sc.ctx, view);
  if (!Number.isFinite(score)) throw new PolicyContractError(`policy ${sc.policy.name} returned a non-finite score`);
  return score;
}

/** The policy's GPU choice and score on free resources the state filters accepted; null if it declines. */
function computeFit(res: NodeResources, pod: ValidPod, sc: Scoring): ClassFit | null {
  const d = pod.demand;
  const gpus = sc.policy.assignGpus(res, d, sc.ctx);
  if (gpus === null) return null;
  checkAssignment(sc.policy.name, res, d, gpus);
  if (sc.policy.powerAware) {
    const bounds = sc.policy.scoreBounds?.(res, d, gpus, sc.ctx);
    return { gpus, score: bounds === undefined ? Number.POSITIVE_INFINITY : bounds[1] };
  }
  return { gpus, score: scored(sc, res, pod, { gpus, score: 0 }, NO_POWER) };
}

/** A policy's GPUs must be distinct, in range, enough, and each with room: the engine never trusts them blindly. */
function checkAssignment(
  policy: string,
  res: NodeResources,
  d: { gpuCount: number; gpuMilli: number },
  gpus: readonly number[],
): void {
  const want = d.gpuMilli === 0 ? 0 : d.gpuCount;
  let ok = Array.isArray(gpus) && gpus.length === want && new Set(gpus).size === gpus.length;
  if (ok)
    for (const g of gpus)
      if (!Number.isInteger(g) || g < 0 || g >= res.gpuFreeMilli.length || res.gpuFreeMilli[g] < d.gpuMilli) ok = false;
  if (!ok)
    throw new PolicyContractError(
      `policy ${policy} assigned GPUs [${String(gpus)}] that do not fit ${want} x ${d.gpuMilli} milli`,
    );
}
