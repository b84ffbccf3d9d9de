import { GPU_RESOURCE, SCHEDULER_NAME } from '@switchyard/contracts';

/**
 * The parts of Kubernetes objects the scheduling core reads, as structural types: the pure
 * logic takes these (what @kubernetes/client-node returns satisfies them) so it can be tested
 * without a cluster and without importing the client.
 */

export interface ObjectMetaView {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerReferenceView[];
  readonly deletionTimestamp?: Date | string;
  readonly creationTimestamp?: Date | string;
  readonly finalizers?: readonly string[];
}

export interface OwnerReferenceView {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export type QuantityMap = Readonly<Record<string, string | number>>;

export interface ContainerView {
  readonly name: string;
  readonly image?: string;
  readonly env?: readonly { readonly name: string; readonly value?: string }[];
  readonly args?: readonly string[];
  readonly command?: readonly string[];
  readonly resources?: { readonly limits?: QuantityMap; readonly requests?: QuantityMap };
}

export interface PodView {
  readonly metadata?: ObjectMetaView;
  readonly spec?: {
    readonly schedulerName?: string;
    readonly nodeName?: string;
    readonly priorityClassName?: string;
    readonly priority?: number;
    readonly nodeSelector?: Readonly<Record<string, string>>;
    readonly tolerations?: readonly object[];
    readonly serviceAccountName?: string;
    readonly containers?: readonly ContainerView[];
    readonly initContainers?: readonly ContainerView[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly { readonly type: string; readonly status: string }[];
  };
}

export interface NodeView {
  readonly metadata?: ObjectMetaView;
  readonly spec?: { readonly unschedulable?: boolean; readonly taints?: readonly { key: string; effect: string }[] };
  readonly status?: {
    readonly allocatable?: QuantityMap;
    readonly capacity?: QuantityMap;
    readonly conditions?: readonly { readonly type: string; readonly status: string }[];
  };
}

// Defined with the other pod names in libs/contracts; re-exported for the runtime and the node sync, which import them from here.
export { GPU_RESOURCE, SCHEDULER_NAME };

export function podKey(pod: PodView): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}

export function isPodTerminal(pod: PodView): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function isPodReady(pod: PodView): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** A pod this scheduler must place: ours, not bound, not terminating, not finished. */
export function isPendingForSwitchyard(pod: PodView): boolean {
  return (
    pod.spec?.schedulerName === SCHEDULER_NAME &&
    !pod.spec?.nodeName &&
    !pod.metadata?.deletionTimestamp &&
    !isPodTerminal(pod)
  );
}
