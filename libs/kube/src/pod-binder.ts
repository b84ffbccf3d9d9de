/**
 * Binds a pod to a node through the `pods/binding` subresource and records the GPU assignment
 * on the pod. The Binding carries the annotations: the API server copies a Binding's
 * annotations onto the pod in the same write as `spec.nodeName`, so there is no moment where
 * the pod is bound but the device plugin cannot see its GPUs, and one request per pod instead
 * of two. For API servers that drop them, `annotateAfterBind` adds a merge patch afterwards.
 */
import { ANNOTATION, FIELD_MANAGER, formatGpuAnnotation, formatPowerLimitAnnotation } from '@switchyard/contracts';
import type { ClusterConnection } from './cluster-connection';
import { PodAlreadyBoundError, PodGoneError, toKubeApiError } from './kube-errors';
import { collectionPath } from './kube-objects';
import { mergePatchPod } from './pod-client';

export interface AssignedGpu {
  readonly index: number;
  readonly uuid: string;
}

export interface PodBindingRequest {
  readonly namespace: string;
  readonly name: string;
  /** When given, the bind fails (404) if the pod was replaced by another with the same name. */
  readonly uid?: string;
  readonly nodeName: string;
  readonly gpus: readonly AssignedGpu[];
  /** Set when the allocation runs under a GPU power cap. */
  readonly powerLimitWatts?: number;
}

export function bindingAnnotations(req: Pick<PodBindingRequest, 'gpus' | 'powerLimitWatts'>): Record<string, string> {
  const annotations: Record<string, string> = { [ANNOTATION.gpus]: formatGpuAnnotation(req.gpus) };
  if (req.powerLimitWatts !== undefined)
    annotations[ANNOTATION.powerLimitWatts] = formatPowerLimitAnnotation(req.powerLimitWatts);
  return annotations;
}

export interface PodBinderOptions {
  /** Also merge-patch the annotations after the bind (API servers that ignore Binding annotations). */
  readonly annotateAfterBind?: boolean;
}

export class PodBinder {
  constructor(
    private readonly conn: ClusterConnection,
    private readonly options: PodBinderOptions = {},
  ) {}

  /**
   * Binds and annotates. Throws PodAlreadyBoundError (409: bound elsewhere, the allocation must
   * be released), PodGoneError (404), or KubeApiError for anything else.
   */
  async bind(req: PodBindingRequest): Promise<void> {
    const annotations = bindingAnnotations(req);
    const where = `${req.namespace}/${req.name}`;
    try {
      // Raw JSON through client-node's credentials: this is the scheduler's hot path, and the
      // generated client's serializers cost more CPU than the request itself.
      await this.conn.request({
        method: 'POST',
        path: `${collectionPath('v1', 'pods', req.namespace)}/${encodeURIComponent(req.name)}/binding`,
        query: { fieldManager: FIELD_MANAGER },
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: req.name, namespace: req.namespace, uid: req.uid, annotations },
          target: { apiVersion: 'v1', kind: 'Node', name: req.nodeName },
        },
      });
    } catch (err) {
      const e = toKubeApiError(err, `bind pod ${where} to ${req.nodeName}`);
      // A UID precondition failure is a 409 too, but means this pod was replaced: it is gone.
      if (e.isConflict && /precondition/i.test(e.message)) throw new PodGoneError(req.namespace, req.name, e.message);
      if (e.isConflict) throw new PodAlreadyBoundError(req.namespace, req.name, e.message);
      if (e.isNotFound) throw new PodGoneError(req.namespace, req.name, e.message);
      throw e;
    }
    if (this.options.annotateAfterBind) await this.annotate(req.namespace, req.name, annotations);
  }

  /** Merge-patches annotations (a `null` value removes one). */
  annotate(namespace: string, name: string, annotations: Record<string, string | null>): Promise<void> {
    return mergePatchPod(this.conn, namespace, name, { metadata: { annotations } }, 'annotate');
  }
}
