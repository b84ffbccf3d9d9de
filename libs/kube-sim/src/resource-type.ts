/** What the simulated apiserver knows about one kind of resource: its names, scope, subresources and how to print it. */
export type JsonObject = Record<string, unknown>;

export interface KubeObject extends JsonObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta extends JsonObject {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

export interface ScaleMapping {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  /** A JSONPath (`.status.replicas`) or a function for built-in printers. */
  jsonPath?: string;
  cell?: (obj: KubeObject, now: number) => unknown;
}

export interface ResourceType {
  group: string;
  /** Versions served; objects are stored once and shown with the requested version. */
  versions: string[];
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  hasStatus: boolean;
  scale?: ScaleMapping;
  /** Extra subresources beyond status/scale (pods: binding, eviction). */
  extraSubresources: { name: string; kind: string; group?: string; version?: string; verbs: string[] }[];
  printerColumns: (version: string) => PrinterColumn[];
  /** Set for CustomResourceDefinition-backed types. */
  crdName?: string;
  /** Whether strategic merge patch applies (built-in types only, as in the real apiserver). */
  strategicMerge: boolean;
  /** A view of another type's storage (events.k8s.io/v1 Events are core/v1 Events, as in the apiserver). */
  sharedStorage?: SharedStorage;
}

export interface SharedStorage {
  typeKey: string;
  toStored(object: KubeObject): KubeObject;
  fromStored(object: KubeObject): KubeObject;
}

/** Where objects of a type live in the store. */
export function storageKey(type: ResourceType): string {
  return type.sharedStorage?.typeKey ?? typeKey(type.group, type.plural);
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The storage key of a resource type: its group and plural, independent of version. */
export function typeKey(group: string, plural: string): string {
  return group ? `${plural}.${group}` : plural;
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}
