import type { GpuPowerReading } from './gpu-power-reading';

/** The agent's one port to the GPUs: NVML through nvidia-smi on a real node, memory in the simulator. */
export interface PowerLimitActuator {
  readGpus(): Promise<GpuPowerReading[]>;
  setLimit(index: number, watts: number): Promise<void>;
}
