/**
 * The labels and annotations Switchyard reads and writes on pods, and the formats of the
 * values it writes at bind time. One place, because the controller, the scheduler, the binder,
 * the node agent and users' manifests all have to agree on them.
 */

/** The scheduler name pods use to be placed by Switchyard. */
export const SCHEDULER_NAME = 'switchyard';
/** The resource the NVIDIA device plugin advertises. */
export const GPU_RESOURCE = 'nvidia.com/gpu';
/** Held on a ModelDeployment until the scheduler has released the allocations of its pods. */
export const FINALIZER_ALLOCATIONS = 'switchyard.io/allocations';
/** The field manager Switchyard writes with (server-side apply and patches). */
export const FIELD_MANAGER = 'switchyard';

export const LABEL = {
  deployment: 'switchyard.io/deployment',
  replica: 'switchyard.io/replica',
  member: 'switchyard.io/gang-member',
  gang: 'switchyard.io/gang',
  gangSize: 'switchyard.io/gang-size',
  templateHash: 'switchyard.io/template-hash',
  priority: 'switchyard.io/priority',
  tenant: 'switchyard.io/tenant',
  managedBy: 'app.kubernetes.io/managed-by',
  hall: 'switchyard.io/hall',
  row: 'switchyard.io/row',
  rack: 'switchyard.io/rack',
  gpuProduct: 'nvidia.com/gpu.product',
  gpuMemory: 'nvidia.com/gpu.memory',
} as const;

export const ANNOTATION = {
  /** Asks for a fraction of one GPU (1..999) on a pod that is not from a ModelDeployment. */
  gpuMilli: 'switchyard.io/gpu-milli',
  gpuProducts: 'switchyard.io/gpu-products',
  gpuMemoryMiB: 'switchyard.io/gpu-memory-mib',
  wattsPerGpu: 'switchyard.io/watts-per-gpu',
  powerCapping: 'switchyard.io/power-capping',
  minPowerLimitWatts: 'switchyard.io/min-power-limit-watts',
  cappedWattsPerGpu: 'switchyard.io/capped-watts-per-gpu',
  gangScope: 'switchyard.io/gang-scope',
  /** `none`: pack this deployment's replicas instead of spreading them over racks. */
  spread: 'switchyard.io/spread',
  /** Set at bind time: GPU indices and UUIDs (see `formatGpuAnnotation`). */
  gpus: 'switchyard.io/gpus',
  /** Set at bind time when the allocation runs under a GPU power cap, in whole watts. */
  powerLimitWatts: 'switchyard.io/power-limit-watts',
  /** Written by the node agent: the GPU power limit in force on the pod's GPUs, in whole watts. */
  enforcedPowerLimitWatts: 'switchyard.io/enforced-power-limit-watts',
  /** Written by the node agent: why that limit (`default`, `requested`, `clamped`, `lowered`, `malformed`, `failed`). */
  powerLimitEnforcement: 'switchyard.io/power-limit-enforcement',
  modelProfile: 'switchyard.io/model',
} as const;

/** One GPU as the bind annotation names it. */
export interface AnnotatedGpu {
  readonly index: number;
  readonly uuid: string;
}

/** `0=GPU-aaaa...,3=GPU-bbbb...`: indices for the device plugin, UUIDs to survive re-enumeration. */
export function formatGpuAnnotation(gpus: readonly AnnotatedGpu[]): string {
  return gpus.map((g) => `${g.index}=${g.uuid}`).join(',');
}

/**
 * Reads a `switchyard.io/gpus` value. Entries that cannot be read (no `=`, an index that is
 * not a whole number, no UUID, an index named twice) are returned apart, so a reader can keep
 * the GPUs it can name and report the rest.
 */
export function parseGpuAnnotation(value: string | undefined): { gpus: AnnotatedGpu[]; malformed: string[] } {
  const gpus: AnnotatedGpu[] = [];
  const malformed: string[] = [];
  const seen = new Set<number>();
  for (const raw of (value ?? '').split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    const index = eq > 0 && /^\d+$/.test(part.slice(0, eq)) ? Number(part.slice(0, eq)) : NaN;
    const uuid = eq > 0 ? part.slice(eq + 1).trim() : '';
    if (!Number.isSafeInteger(index) || uuid === '' || uuid.includes('=') || seen.has(index)) {
      malformed.push(part);
      continue;
    }
    seen.add(index);
    gpus.push({ index, uuid });
  }
  return { gpus, malformed };
}

export function formatPowerLimitAnnotation(watts: number): string {
  return String(Math.round(watts));
}

/** The GPU power limit in watts, or null when absent or not a positive number. */
export function parsePowerLimitAnnotation(value: string | undefined): number | null {
  if (value === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return null;
  const watts = Number(value);
  return watts > 0 ? watts : null;
}
