import type { Counter, Gauge, Registry } from 'prom-client';
import { inventoryNodeSyncsTotal, nodeFailurePodsTotal, nodesNotReady } from './node-metric-definitions';
import { registeredCounter, registeredGauge } from './registered-metrics';

/** Node health and inventory-sync metrics, on the control plane's registry. */
export class NodeMetrics {
  private readonly notReady: Gauge<never>;
  private readonly affectedPods: Counter<'reason'>;
  private readonly syncs: Counter<'result'>;

  constructor(registry: Registry) {
    this.notReady = registeredGauge(registry, nodesNotReady);
    this.affectedPods = registeredCounter(registry, nodeFailurePodsTotal);
    this.syncs = registeredCounter(registry, inventoryNodeSyncsTotal);
  }

  setNotReady(count: number): void {
    this.notReady.set(count);
  }

  podsAffected(reason: 'NodeNotReady' | 'NodeDeleted', count: number): void {
    if (count > 0) this.affectedPods.inc({ reason }, count);
  }

  nodeSynced(result: 'created' | 'updated' | 'rejected'): void {
    this.syncs.inc({ result });
  }
}
