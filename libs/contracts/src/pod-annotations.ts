/**
 * The pod annotations and labels Switchyard reads and writes. One place, because the
 * scheduler, the binder, the controller and users' manifests all have to agree on them.
 */
/** Set at bind time: GPU indices and UUIDs, e.g. `0=GPU-1c2f...,1=GPU-88a0...`. */
export const ANNOTATION_GPUS = 'switchyard.io/gpus';
/** Set at bind time when the allocation runs under a GPU power cap. */
export const ANNOTATION_POWER_LIMIT_WATTS = 'switchyard.io/power-limit-watts';
/** Asks for a fraction of one GPU (1..999) on a pod that is not from a ModelDeployment. */
export const ANNOTATION_GPU_MILLI = 'switchyard.io/gpu-milli';
/** The scheduler name pods use to be placed by Switchyard. */
export const SCHEDULER_NAME = 'switchyard';
/** The resource the NVIDIA device plugin advertises. */
export const RESOURCE_NVIDIA_GPU = 'nvidia.com/gpu';
export const LABEL_DEPLOYMENT = 'switchyard.io/deployment';
export const LABEL_REPLICA = 'switchyard.io/replica';
export const LABEL_GANG_MEMBER = 'switchyard.io/gang-member';
export const FINALIZER_ALLOCATIONS = 'switchyard.io/allocations';
/** The field manager Switchyard writes with (server-side apply and patches). */
export const FIELD_MANAGER = 'switchyard';
