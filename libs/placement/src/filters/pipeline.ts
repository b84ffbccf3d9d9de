import type { ScopeKind } from '../model';
import type { ValidPod } from '../request';
import { gpuKindFilter } from './gpu-kind';
import type { NodeFacts } from './node-facts';
import { nodeReadyFilter } from './node-ready';
import { policyGpusFilter } from './policy-gpus';
import { powerFilter } from './power';
import { capAllowed, minNeedMw } from './power-choice';
import { resourcesFilter } from './resources';
import { FITS, type FilterStatus } from './status';
import { tenantWattQuotaFilter } from './tenant-quota';

/*
 * The order filters run in; a node is refused by the first that fails (the tenant GPU quota
 * comes before all of them, for the whole replica). The search runs the same filters in
 * cheaper forms (per node class, and with scope jumps for power), never other rules.
 */

/** Filters decided by a node's free state alone: ready, GPU kind, resources. */
export function stateStatus(pod: ValidPod, node: NodeFacts): FilterStatus {
  let s = nodeReadyFilter(node);
  if (s === FITS) s = gpuKindFilter(pod, node);
  if (s === FITS) s = resourcesFilter(pod, node);
  return s;
}

/** Filters decided by watts: the tenant's remaining watt quota, then the tightest power headroom on the node's path. */
export function wattsStatus(
  pod: ValidPod,
  node: NodeFacts,
  tenantRoomMw: number,
  room: { readonly roomMw: number; readonly at: ScopeKind | 'node' },
): FilterStatus {
  const capOk = capAllowed(pod, node.limitMin, node.limitMax);
  const s = tenantWattQuotaFilter(pod, capOk, tenantRoomMw);
  return s !== FITS ? s : powerFilter(minNeedMw(pod, capOk, tenantRoomMw), room.roomMw, room.at);
}

/** Every per-node filter in order, node by node (the reference, and tests checking explanations). */
export function nodeStatus(
  pod: ValidPod,
  node: NodeFacts,
  policyGpus: () => readonly number[] | null,
  tenantRoomMw: number,
  room: { readonly roomMw: number; readonly at: ScopeKind | 'node' },
): FilterStatus {
  let s = stateStatus(pod, node);
  if (s === FITS) s = policyGpusFilter(policyGpus());
  if (s === FITS) s = wattsStatus(pod, node, tenantRoomMw, room);
  return s;
}
