/** Small builders for node-agent tests: GPUs as nvidia-smi reports them and pods as the scheduler annotates them. */
import { ANNOTATION } from '@switchyard/contracts';
import type { GpuPowerReading, NodePod } from '@switchyard/node-agent';

/** An H200-like GPU: 700 W TDP, settable 200..700 W, at its default unless told. */
export function gpu(index: number, over: Partial<GpuPowerReading> = {}): GpuPowerReading {
  return { index, limitWatts: 700, defaultWatts: 700, minWatts: 200, maxWatts: 700, ...over };
}

export function gpus(count: number, over: Partial<GpuPowerReading> = {}): GpuPowerReading[] {
  return Array.from({ length: count }, (_, i) => gpu(i, over));
}

/** A pod holding GPU indices `held`, with a power limit annotation when `watts` is given (a string is taken as is). */
export function pod(
  name: string,
  held: number[] | string,
  watts?: number | string,
  extra: Partial<NodePod> = {},
): NodePod {
  const annotations: Record<string, string> = {
    [ANNOTATION.gpus]: typeof held === 'string' ? held : held.map((i) => `${i}=GPU-${name}-${i}`).join(','),
  };
  if (watts !== undefined) annotations[ANNOTATION.powerLimitWatts] = String(watts);
  return { key: `default/${name}`, annotations, phase: 'Running', ...extra };
}
