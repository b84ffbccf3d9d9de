import { validateModelDeploymentSpec } from '@switchyard/contracts';
import type { ModelDeploymentView } from '../../model-deployments/model-deployment-view';
import type { PodView } from '../pod-model';
import type { PodRequestCatalog } from '../pod-request';
import type { AllocationRecord } from '../scheduling-ports';

/** Builders shared by the scheduling unit tests. */
export const catalog: PodRequestCatalog = {
  products: new Map([
    ['NVIDIA-H200', { memoryMiB: 143_771, tdpWatts: 700 }],
    ['NVIDIA-L40S', { memoryMiB: 46_068, tdpWatts: 350 }],
  ]),
  maxGpusPerNode: 8,
};

export function gpuPod(
  name: string,
  opts: {
    gpus?: number | string;
    milli?: string;
    cpu?: string;
    memory?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    nodeName?: string;
    priorityClassName?: string;
    nodeSelector?: Record<string, string>;
  } = {},
): PodView {
  const limits: Record<string, string | number> = {};
  if (opts.gpus !== undefined) limits['nvidia.com/gpu'] = opts.gpus;
  return {
    metadata: {
      name,
      namespace: 'ml',
      uid: `uid-${name}`,
      labels: opts.labels ?? {},
      annotations: {
        ...(opts.milli !== undefined ? { 'switchyard.io/gpu-milli': opts.milli } : {}),
        ...(opts.annotations ?? {}),
      },
    },
    spec: {
      schedulerName: 'switchyard',
      ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
      ...(opts.priorityClassName ? { priorityClassName: opts.priorityClassName } : {}),
      ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
      containers: [
        { name: 'c', resources: { limits, requests: { cpu: opts.cpu ?? '500m', memory: opts.memory ?? '16Gi' } } },
      ],
    },
  };
}

/** A ModelDeployment whose spec went through the contract's validation (defaults filled). */
export function modelDeployment(
  spec: Record<string, unknown> = {},
  meta: Partial<ModelDeploymentView['metadata']> = {},
): ModelDeploymentView {
  const validated = validateModelDeploymentSpec({
    model: 'llava-33b',
    replicas: 2,
    gpu: { count: 2 },
    priority: 'high',
    tenant: 'vision',
    ...spec,
  });
  if (!validated.ok) throw new Error(JSON.stringify(validated.issues));
  return {
    apiVersion: 'switchyard.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name: 'llava', namespace: 'ml', uid: 'md-uid', generation: 1, ...meta },
    spec: validated.value,
  };
}

/** The pod as the API would return it after binding (and, optionally, the kubelet reporting Ready). */
export function asBound(pod: PodView, nodeName: string, ready = false): PodView {
  return {
    ...pod,
    spec: { ...pod.spec, nodeName },
    status: { phase: ready ? 'Running' : 'Pending', conditions: ready ? [{ type: 'Ready', status: 'True' }] : [] },
  };
}

/** An allocation row for pod `podUid` in namespace ml (reserved, no GPUs unless given). */
export function allocationRow(podUid: string, fields: Partial<AllocationRecord> = {}): AllocationRecord {
  return {
    podUid,
    podNamespace: 'ml',
    podName: podUid,
    nodeName: 'n0',
    gpus: [],
    predictedWatts: 0,
    powerLimitWatts: null,
    priority: 'standard',
    tenant: null,
    deployment: null,
    state: 'reserved',
    ...fields,
  };
}
