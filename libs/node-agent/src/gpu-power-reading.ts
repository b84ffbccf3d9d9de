/** One GPU's power-limit state as the driver reports it (`nvidia-smi --query-gpu=power.*`), in watts. */
export interface GpuPowerReading {
  readonly index: number;
  /** The limit in force. */
  readonly limitWatts: number;
  /** The driver's default limit: the TDP on data-center parts. */
  readonly defaultWatts: number;
  readonly minWatts: number;
  readonly maxWatts: number;
}

/** Where malformed annotations leave a GPU: about 70 % of TDP, low enough to be safe, high enough to keep serving. */
export const SAFE_DEFAULT_FRACTION = 0.7;

/**
 * A whole-watt limit the GPU accepts and that never raises it above its TDP: within
 * [min, min(max, default)]. Capping only ever lowers power; the default is the ceiling.
 */
export function clampLimitWatts(gpu: GpuPowerReading, watts: number): number {
  const low = Math.ceil(gpu.minWatts);
  const high = Math.max(low, Math.floor(Math.min(gpu.maxWatts, gpu.defaultWatts)));
  return Math.min(high, Math.max(low, Math.round(watts)));
}

/** The limit a GPU goes back to when no pod asks for one. */
export function defaultLimitWatts(gpu: GpuPowerReading): number {
  return clampLimitWatts(gpu, gpu.defaultWatts);
}

/** The limit applied when a pod's annotations cannot be read. */
export function safeDefaultLimitWatts(gpu: GpuPowerReading, fraction = SAFE_DEFAULT_FRACTION): number {
  return clampLimitWatts(gpu, gpu.defaultWatts * fraction);
}
