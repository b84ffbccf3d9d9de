import type { GpuPowerReading } from './gpu-power-reading';
import type { PowerLimitActuator } from './power-limit-actuator';

/** One node's GPUs in memory: what the simulated kubelet and tests actuate instead of a driver. */
export class SimulatedGpuPower implements PowerLimitActuator {
  private readonly gpus = new Map<number, GpuPowerReading>();

  /** Every GPU starts at its default limit. */
  constructor(ranges: readonly Omit<GpuPowerReading, 'limitWatts'>[]) {
    for (const r of ranges) this.gpus.set(r.index, { ...r, limitWatts: r.defaultWatts });
  }

  readings(): GpuPowerReading[] {
    return [...this.gpus.values()];
  }

  limitWatts(index: number): number | undefined {
    return this.gpus.get(index)?.limitWatts;
  }

  /** As the driver does, a limit outside [min, max] is refused. */
  apply(index: number, watts: number): void {
    const gpu = this.gpus.get(index);
    if (!gpu) throw new Error(`no GPU ${index}`);
    if (watts < gpu.minWatts || watts > gpu.maxWatts)
      throw new Error(`GPU ${index}: ${watts} W is outside ${gpu.minWatts}..${gpu.maxWatts} W`);
    this.gpus.set(index, { ...gpu, limitWatts: watts });
  }

  readGpus(): Promise<GpuPowerReading[]> {
    return Promise.resolve(this.readings());
  }

  setLimit(index: number, watts: number): Promise<void> {
    try {
      this.apply(index, watts);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
}
