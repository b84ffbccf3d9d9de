import { utilisation, type PodLoad } from './gpu-load';

/** A GPU's power characteristics: the product's TDP and settable limit range, and what it draws idle. */
export interface GpuPowerSpec {
  readonly tdpWatts: number;
  readonly minPowerLimitWatts: number;
  readonly maxPowerLimitWatts: number;
  readonly idleWatts: number;
}

/** Idle draw as a share of TDP: 84 W for a 700 W H200-class GPU (field readings are 70-100 W). */
const IDLE_SHARE_OF_TDP = 0.12;

export function gpuPowerSpec(product: {
  tdpWatts: number;
  minPowerLimitWatts: number;
  maxPowerLimitWatts: number;
}): GpuPowerSpec {
  return {
    tdpWatts: product.tdpWatts,
    minPowerLimitWatts: product.minPowerLimitWatts,
    maxPowerLimitWatts: product.maxPowerLimitWatts,
    idleWatts: Math.min(Math.round(product.tdpWatts * IDLE_SHARE_OF_TDP), product.minPowerLimitWatts),
  };
}

/** One pod's use of a GPU. */
export interface GpuOccupant {
  /** 1 for a whole GPU, milli / 1000 for a fraction. */
  readonly share: number;
  /** Predicted watts per GPU at full load: the pod's profile. */
  readonly profileWatts: number;
  /** The pod's `switchyard.io/power-limit-watts`, when it runs capped. */
  readonly limitWatts: number | null;
  readonly load: PodLoad;
}

/** The power limit in force: the lowest occupant's cap, clamped to the GPU's settable range; TDP when none is capped. */
export function enforcedLimitWatts(spec: GpuPowerSpec, occupants: Iterable<GpuOccupant>): number {
  let limit = Math.min(spec.tdpWatts, spec.maxPowerLimitWatts);
  for (const o of occupants) {
    if (o.limitWatts === null) continue;
    limit = Math.min(limit, Math.min(spec.maxPowerLimitWatts, Math.max(spec.minPowerLimitWatts, o.limitWatts)));
  }
  return limit;
}

/** Watts (to the milliwatt) a GPU draws at `t`: idle when empty, else its occupants' load, never above its limit. */
export function gpuDrawWatts(
  spec: GpuPowerSpec,
  occupants: Iterable<GpuOccupant>,
  limitWatts: number,
  t: number,
): number {
  let demand = 0;
  let empty = true;
  for (const o of occupants) {
    demand += o.share * o.profileWatts * utilisation(o.load, t);
    empty = false;
  }
  if (empty) return spec.idleWatts;
  return Math.round(Math.min(limitWatts, Math.max(spec.idleWatts, demand)) * 1000) / 1000;
}
