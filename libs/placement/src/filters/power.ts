import type { ExclusionReason, ScopeKind } from '../model';
import { FITS, unschedulable, type FilterStatus } from './status';

/**
 * Power at the node and at every scope above it (rack, row, hall, site): the node fits when
 * its tightest headroom on that path holds the pod's least need, and is refused at the scope
 * where the headroom is tightest.
 */
export function powerFits(needMw: number, roomMw: number): boolean {
  return roomMw >= needMw;
}

export function powerFilter(needMw: number, roomMw: number, at: ScopeKind | 'node'): FilterStatus {
  if (powerFits(needMw, roomMw)) return FITS;
  return unschedulable(`${at}-power` as ExclusionReason, needMw / 1000, Math.max(0, roomMw) / 1000, 'watts');
}
