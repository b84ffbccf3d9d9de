/**
 * Pod writes for the controller: create, merge-patch with Switchyard's field manager, delete.
 * Raw JSON with client-node's credentials and connection, so objects stay in wire form and the
 * per-pod cost stays low at thousands of pods.
 */
import { FIELD_MANAGER } from '@switchyard/contracts';
import type { ClusterConnection } from './cluster-connection';
import { PodGoneError, toKubeApiError } from './kube-errors';
import { MERGE_PATCH, collectionPath, type PodObject } from './kube-objects';

/**
 * JSON merge patch (RFC 7386) of a pod with Switchyard's field manager; a missing pod is a
 * PodGoneError. `action` names the write in error messages ("patch", "annotate").
 */
export async function mergePatchPod(
  conn: ClusterConnection,
  namespace: string,
  name: string,
  patch: Record<string, unknown>,
  action = 'patch',
): Promise<void> {
  try {
    await conn.request({
      method: 'PATCH',
      path: `${collectionPath('v1', 'pods', namespace)}/${encodeURIComponent(name)}`,
      query: { fieldManager: FIELD_MANAGER },
      contentType: MERGE_PATCH,
      body: patch,
    });
  } catch (err) {
    const e = toKubeApiError(err, `${action} pod ${namespace}/${name}`);
    if (e.isNotFound) throw new PodGoneError(namespace, name, e.message);
    throw e;
  }
}

export class PodClient {
  constructor(private readonly conn: ClusterConnection) {}

  async create(pod: PodObject): Promise<PodObject> {
    const namespace = pod.metadata.namespace ?? this.conn.defaultNamespace;
    try {
      // Raw, so the answer stays in wire form like the informer's objects.
      return await this.conn.request<PodObject>({
        method: 'POST',
        path: collectionPath('v1', 'pods', namespace),
        query: { fieldManager: FIELD_MANAGER },
        body: { apiVersion: 'v1', kind: 'Pod', ...pod, metadata: { ...pod.metadata, namespace } },
      });
    } catch (err) {
      throw toKubeApiError(err, `create pod ${namespace}/${pod.metadata.name}`);
    }
  }

  /** JSON merge patch (RFC 7386) of labels, annotations or anything else. */
  mergePatch(namespace: string, name: string, patch: Record<string, unknown>): Promise<void> {
    return mergePatchPod(this.conn, namespace, name, patch);
  }

  /** Deletes; a pod already gone is not an error (returns false). */
  async delete(
    namespace: string,
    name: string,
    opts: { uid?: string; gracePeriodSeconds?: number } = {},
  ): Promise<boolean> {
    try {
      await this.conn.request({
        method: 'DELETE',
        path: `${collectionPath('v1', 'pods', namespace)}/${encodeURIComponent(name)}`,
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          gracePeriodSeconds: opts.gracePeriodSeconds,
          preconditions: opts.uid ? { uid: opts.uid } : undefined,
        },
      });
      return true;
    } catch (err) {
      const e = toKubeApiError(err, `delete pod ${namespace}/${name}`);
      if (e.isNotFound) return false;
      throw e;
    }
  }

  async get(namespace: string, name: string): Promise<PodObject | undefined> {
    try {
      return await this.conn.request<PodObject>({
        method: 'GET',
        path: `${collectionPath('v1', 'pods', namespace)}/${encodeURIComponent(name)}`,
      });
    } catch (err) {
      const e = toKubeApiError(err, `get pod ${namespace}/${name}`);
      if (e.isNotFound) return undefined;
      throw e;
    }
  }
}
