import type { ModelDeploymentSpec, ModelDeploymentStatus } from '@switchyard/contracts';
import type { ObjectMetaView } from '../scheduling/pod-model';

/**
 * A ModelDeployment as the controller reads it: the validated spec of the contract in
 * libs/contracts (defaults filled by `validateModelDeploymentSpec`), with structural
 * metadata so objects from the informer and test builders both fit.
 */
export interface ModelDeploymentView {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMetaView;
  readonly spec: ModelDeploymentSpec;
  readonly status?: Partial<ModelDeploymentStatus>;
}

export type { ModelDeploymentSpec, ModelDeploymentStatus };
export type ConditionView = NonNullable<ModelDeploymentStatus['conditions']>[number];
export type ReplicaStatusView = NonNullable<ModelDeploymentStatus['replicaStatuses']>[number];

/** Defaults a model profile (from the database) supplies when the spec leaves them out. */
export interface ModelProfileDefaults {
  readonly gpuMemoryMiB?: number;
  readonly allowedProducts?: readonly string[];
  readonly wattsPerGpu?: number;
  readonly cappedWattsPerGpu?: number;
  readonly cappedPowerLimitWatts?: number;
  readonly image?: string;
}

export const MODEL_DEPLOYMENT_API_VERSION = 'switchyard.io/v1alpha1';
export const MODEL_DEPLOYMENT_KIND = 'ModelDeployment';

/** maxUnavailable as a count: an integer, or a percentage of the desired replicas rounded down (as Deployments do). */
export function resolveMaxUnavailable(spec: Pick<ModelDeploymentSpec, 'maxUnavailable' | 'replicas'>): number {
  const v = spec.maxUnavailable;
  if (typeof v === 'number') return Math.max(0, v);
  const percent = Number(v.replace('%', ''));
  return Math.floor((spec.replicas * percent) / 100);
}
