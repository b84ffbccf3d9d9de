/**
 * Kubernetes objects in wire form (JSON as the API server sends it: timestamps are strings),
 * typed for the fields Switchyard reads; everything else is kept untouched.
 */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface ResourceList {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface PodObject extends KubeObject {
  spec: {
    nodeName?: string;
    schedulerName?: string;
    priority?: number;
    priorityClassName?: string;
    containers: { name: string; image?: string; resources?: ResourceList; [key: string]: unknown }[];
    [key: string]: unknown;
  };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    [key: string]: unknown;
  };
}

export interface NodeObject extends KubeObject {
  spec?: {
    unschedulable?: boolean;
    taints?: { key: string; value?: string; effect: string }[];
    [key: string]: unknown;
  };
  status?: {
    capacity?: Record<string, string>;
    allocatable?: Record<string, string>;
    conditions?: { type: string; status: string; reason?: string; message?: string; lastHeartbeatTime?: string }[];
    [key: string]: unknown;
  };
}

/** `coordination.k8s.io/v1` Lease in wire form. */
export interface LeaseObject extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
    [key: string]: unknown;
  };
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
}

export interface KubeList<T> {
  metadata: ListMeta;
  items: T[];
}

/** `namespace/name` (or `name` for cluster-scoped objects): the informer cache key. */
export function objectKey(obj: { metadata: { name: string; namespace?: string } }): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

/** The REST path of a resource collection: `/api/v1/pods`, `/apis/switchyard.io/v1alpha1/namespaces/ns/modeldeployments`. */
export function collectionPath(apiVersion: string, plural: string, namespace?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}` : `${base}/${plural}`;
}

/** RFC 7386 JSON merge patch, the content type of every patch Switchyard sends. */
export const MERGE_PATCH = 'application/merge-patch+json';
