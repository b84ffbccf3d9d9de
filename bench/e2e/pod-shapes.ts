import type { PodObject } from '@switchyard/kube';

export interface BenchPodShape {
  readonly annotations: Record<string, string>;
  readonly gpus?: number;
}

/** The end-to-end benchmark's pod mix: 250 and 500 milli-GPU, 1, 2, 4 and 8 whole GPUs, 400-650 W per GPU. */
export const BENCH_POD_SHAPES: readonly BenchPodShape[] = [
  { annotations: { 'switchyard.io/gpu-milli': '250', 'switchyard.io/watts-per-gpu': '400' } },
  { annotations: { 'switchyard.io/gpu-milli': '500', 'switchyard.io/watts-per-gpu': '500' } },
  { annotations: { 'switchyard.io/watts-per-gpu': '600' }, gpus: 1 },
  { annotations: { 'switchyard.io/watts-per-gpu': '600' }, gpus: 2 },
  { annotations: { 'switchyard.io/watts-per-gpu': '650' }, gpus: 4 },
  { annotations: { 'switchyard.io/watts-per-gpu': '650' }, gpus: 8 },
];

/**
 * `e2e`: the mix above (2.6 GPUs a pod on average). `fractional`: its 250 and 500 milli-GPU pods
 * only, so that about 100,000 pods fit on the campus next to a run of the e2e mix.
 */
export const BENCH_POD_MIXES = {
  e2e: BENCH_POD_SHAPES,
  fractional: BENCH_POD_SHAPES.slice(0, 2),
} as const satisfies Record<string, readonly BenchPodShape[]>;

export type BenchPodMix = keyof typeof BENCH_POD_MIXES;

/** A pending pod of `shape` for Switchyard to schedule, in the default namespace. */
export function benchPod(name: string, shape: BenchPodShape): PodObject {
  return {
    metadata: { name, namespace: 'default', annotations: shape.annotations },
    spec: {
      schedulerName: 'switchyard',
      containers: [
        {
          name: 'model',
          image: 'busybox',
          resources: {
            requests: { cpu: '1', memory: '4Gi' },
            ...(shape.gpus ? { limits: { 'nvidia.com/gpu': String(shape.gpus) } } : {}),
          },
        },
      ],
    },
  } as PodObject;
}
