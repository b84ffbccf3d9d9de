import type { GangTopology } from '../model';
import type { ValidReplica } from '../request';
import { FITS, unschedulable, type FilterStatus } from './status';

/** What a whole gang asks of the scope it is anchored in. */
export interface GangDemand {
  /** The scope kind all pods must share; null for a gang without topology (the whole cluster). */
  readonly kind: GangTopology | null;
  readonly pods: number;
  /** GPU share of all pods together. */
  readonly milli: number;
  /** Watts of all pods together, each capped where it may be: the least the gang can draw. */
  readonly milliwatts: number;
}

/**
 * A scope on the path from the root down to the gang's anchor: every one of them carries
 * all the gang's watts, and the anchor all its GPUs. The search checks this per scope to
 * skip anchors that cannot hold the gang.
 */
export function gangScopeHolds(gang: GangDemand, isAnchor: boolean, roomMw: number, freeMilli: number): boolean {
  return roomMw >= gang.milliwatts && (!isAnchor || freeMilli >= gang.milli);
}

/** A node where the gang's pod itself fits, refused because no assignment of the whole gang exists around it. */
export function gangAnchorFilter(anchorHoldsGang: boolean): FilterStatus {
  return anchorHoldsGang ? FITS : unschedulable('topology');
}

/** What the replica asks of its anchor as a whole. */
export function gangDemand(v: ValidReplica): GangDemand {
  return {
    kind: v.topology,
    pods: v.pods.length,
    milli: v.totalMilli,
    milliwatts: v.pods.reduce((a, p) => a + (p.cappedWatts === null ? p.milliwatts : p.cappedMilliwatts), 0),
  };
}
