/** Preemption goes through the Eviction API so PodDisruptionBudgets and grace periods hold. */
import type { ClusterConnection } from './cluster-connection';
import { EvictionBlockedError, toKubeApiError } from './kube-errors';

export interface EvictionRequest {
  readonly namespace: string;
  readonly name: string;
  readonly gracePeriodSeconds?: number;
  /** Evict only this incarnation of the pod. */
  readonly uid?: string;
}

export type EvictionOutcome = 'evicted' | 'already-gone';

export class PodEvictor {
  constructor(private readonly conn: ClusterConnection) {}

  /** Throws EvictionBlockedError when a disruption budget refuses (429), KubeApiError otherwise. */
  async evict(req: EvictionRequest): Promise<EvictionOutcome> {
    try {
      await this.conn.core.createNamespacedPodEviction({
        name: req.name,
        namespace: req.namespace,
        body: {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: req.name, namespace: req.namespace },
          deleteOptions: {
            gracePeriodSeconds: req.gracePeriodSeconds,
            preconditions: req.uid ? { uid: req.uid } : undefined,
          },
        },
      });
      return 'evicted';
    } catch (err) {
      const e = toKubeApiError(err, `evict pod ${req.namespace}/${req.name}`);
      if (e.isNotFound) return 'already-gone';
      if (e.status === 429) throw new EvictionBlockedError(req.namespace, req.name, e.message, e.retryAfterSeconds);
      throw e;
    }
  }
}
