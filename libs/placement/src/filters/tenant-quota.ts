import type { ValidPod } from '../request';
import { minNeedMw } from './power-choice';
import { FITS, unschedulable, type FilterStatus } from './status';

/** A replica whose GPUs would take its tenant over the GPU quota is refused on every node. */
export function tenantGpuQuotaFilter(
  usedMilli: number,
  quotaMilli: number | undefined,
  askedMilli: number,
): FilterStatus {
  if (quotaMilli === undefined || usedMilli + askedMilli <= quotaMilli) return FITS;
  return unschedulable('tenant-gpu-quota', askedMilli / 1000, Math.max(0, quotaMilli - usedMilli) / 1000, 'gpus');
}

/** A pod that cannot run within its tenant's remaining watts, not even capped where the GPUs allow it. */
export function tenantWattQuotaFilter(pod: ValidPod, capOk: boolean, tenantRoomMw: number): FilterStatus {
  if (minNeedMw(pod, capOk, tenantRoomMw) !== Number.POSITIVE_INFINITY) return FITS;
  return unschedulable(
    'tenant-watt-quota',
    minNeedMw(pod, capOk, Number.POSITIVE_INFINITY) / 1000,
    Math.max(0, tenantRoomMw) / 1000,
    'watts',
  );
}
