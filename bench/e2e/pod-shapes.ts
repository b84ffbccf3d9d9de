/** The end-to-end benchmark's pod mix: 250 and 500 milli-GPU, 1, 2, 4 and 8 whole GPUs, 400-650 W per GPU. */
export const BENCH_POD_SHAPES: readonly { readonly annotations: Record<string, string>; readonly gpus?: number }[] = [
  { annotations: { 'switchyard.io/gpu-milli': '250', 'switchyard.io/watts-per-gpu': '400' } },
  { annotations: { 'switchyard.io/gpu-milli': '500', 'switchyard.io/watts-per-gpu': '500' } },
  { annotations: { 'switchyard.io/watts-per-gpu': '600' }, gpus: 1 },
  { annotations: { 'switchyard.io/watts-per-gpu': '600' }, gpus: 2 },
  { annotations: { 'switchyard.io/watts-per-gpu': '650' }, gpus: 4 },
  { annotations: { 'switchyard.io/watts-per-gpu': '650' }, gpus: 8 },
];
