/**
 * ModelDeployment objects over the API: reads, an informer, finalizers, and status writes
 * through the `status` subresource only (a write to the main resource never touches status,
 * and a status write never touches spec, so the controller and users cannot clobber each other).
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  FIELD_MANAGER,
  MODEL_DEPLOYMENT_API_VERSION,
  MODEL_DEPLOYMENT_GROUP,
  MODEL_DEPLOYMENT_PLURAL,
  MODEL_DEPLOYMENT_VERSION,
  type ModelDeploymentSpecInput,
  type ModelDeploymentStatus,
} from '@switchyard/contracts';
import type { ClusterConnection } from './cluster-connection';
import { toKubeApiError } from './kube-errors';
import { collectionPath, type KubeList, type KubeObject, type ObjectMeta } from './kube-objects';
import { ResourceInformer, type InformerOptions } from './resource-informer';

/**
 * As stored: the spec passed the CRD schema but defaults may be missing on API servers that do
 * not apply them, so run it through `validateModelDeploymentSpec` before use.
 */
export interface ModelDeploymentObject extends KubeObject {
  metadata: ObjectMeta;
  spec: ModelDeploymentSpecInput;
  status?: Partial<ModelDeploymentStatus>;
}

const base = { group: MODEL_DEPLOYMENT_GROUP, version: MODEL_DEPLOYMENT_VERSION, plural: MODEL_DEPLOYMENT_PLURAL };
const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class ModelDeploymentClient {
  constructor(private readonly conn: ClusterConnection) {}

  /** undefined when it does not exist. */
  async get(namespace: string, name: string): Promise<ModelDeploymentObject | undefined> {
    try {
      return (await this.conn.customObjects.getNamespacedCustomObject({
        ...base,
        namespace,
        name,
      })) as ModelDeploymentObject;
    } catch (err) {
      const e = toKubeApiError(err, `get modeldeployment ${namespace}/${name}`);
      if (e.isNotFound) return undefined;
      throw e;
    }
  }

  async list(namespace?: string): Promise<ModelDeploymentObject[]> {
    try {
      const list = (
        namespace
          ? await this.conn.customObjects.listNamespacedCustomObject({ ...base, namespace })
          : await this.conn.customObjects.listClusterCustomObject({ ...base })
      ) as KubeList<ModelDeploymentObject>;
      return list.items;
    } catch (err) {
      throw toKubeApiError(err, `list modeldeployments${namespace ? ` in ${namespace}` : ''}`);
    }
  }

  async create(obj: { metadata: ObjectMeta; spec: ModelDeploymentSpecInput }): Promise<ModelDeploymentObject> {
    const namespace = obj.metadata.namespace ?? this.conn.defaultNamespace;
    try {
      return (await this.conn.customObjects.createNamespacedCustomObject({
        ...base,
        namespace,
        fieldManager: FIELD_MANAGER,
        body: {
          apiVersion: MODEL_DEPLOYMENT_API_VERSION,
          kind: 'ModelDeployment',
          ...obj,
          metadata: { ...obj.metadata, namespace },
        },
      })) as ModelDeploymentObject;
    } catch (err) {
      throw toKubeApiError(err, `create modeldeployment ${namespace}/${obj.metadata.name}`);
    }
  }

  /** An informer over all namespaces (or one). */
  informer(
    options: Omit<InformerOptions, 'resource' | 'path'> & { namespace?: string } = {},
  ): ResourceInformer<ModelDeploymentObject> {
    return new ResourceInformer<ModelDeploymentObject>(this.conn, {
      ...options,
      resource: MODEL_DEPLOYMENT_PLURAL,
      path: collectionPath(MODEL_DEPLOYMENT_API_VERSION, MODEL_DEPLOYMENT_PLURAL, options.namespace),
    });
  }

  /**
   * Writes the whole status through the status subresource. With `resourceVersion` the write
   * fails with a 409 KubeApiError if the object changed since it was read.
   */
  async writeStatus(
    namespace: string,
    name: string,
    status: ModelDeploymentStatus,
    resourceVersion?: string,
  ): Promise<ModelDeploymentObject> {
    const body: Record<string, unknown> = { status };
    if (resourceVersion) body.metadata = { resourceVersion };
    try {
      return (await this.conn.customObjects.patchNamespacedCustomObjectStatus(
        { ...base, namespace, name, body, fieldManager: FIELD_MANAGER },
        mergePatch(),
      )) as ModelDeploymentObject;
    } catch (err) {
      throw toKubeApiError(err, `write status of modeldeployment ${namespace}/${name}`);
    }
  }

  /** Adds a finalizer unless present; optimistic on resourceVersion so a concurrent edit is not lost. */
  async addFinalizer(obj: ModelDeploymentObject, finalizer: string): Promise<ModelDeploymentObject> {
    const current = obj.metadata.finalizers ?? [];
    if (current.includes(finalizer)) return obj;
    return this.patchFinalizers(obj, [...current, finalizer]);
  }

  async removeFinalizer(obj: ModelDeploymentObject, finalizer: string): Promise<ModelDeploymentObject> {
    const current = obj.metadata.finalizers ?? [];
    if (!current.includes(finalizer)) return obj;
    return this.patchFinalizers(
      obj,
      current.filter((f) => f !== finalizer),
    );
  }

  private async patchFinalizers(obj: ModelDeploymentObject, finalizers: string[]): Promise<ModelDeploymentObject> {
    const { namespace = this.conn.defaultNamespace, name, resourceVersion } = obj.metadata;
    try {
      return (await this.conn.customObjects.patchNamespacedCustomObject(
        { ...base, namespace, name, fieldManager: FIELD_MANAGER, body: { metadata: { finalizers, resourceVersion } } },
        mergePatch(),
      )) as ModelDeploymentObject;
    } catch (err) {
      throw toKubeApiError(err, `update finalizers of modeldeployment ${namespace}/${name}`);
    }
  }
}
