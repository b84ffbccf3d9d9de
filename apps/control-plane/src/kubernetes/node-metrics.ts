import type { Counter, Gauge, Registry } from 'prom-client';
import { counter, gauge } from './registered-metrics';

/** Node health and inventory-sync metrics (bounded labels only). */
export class NodeMetrics {
  private readonly notReady: Gauge<string>;
  private readonly affectedPods: Counter<'reason'>;
  private readonly syncs: Counter<'result'>;

  constructor(registry: Registry) {
    this.notReady = gauge(registry, {
      name: 'switchyard_nodes_not_ready',
      help: 'Nodes whose Ready condition is not True',
    });
    this.affectedPods = counter(registry, {
      name: 'switchyard_node_failure_pods_total',
      help: 'Pods reported (Warning Event) because their node went NotReady or was deleted, by reason',
      labelNames: ['reason'],
    });
    this.syncs = counter(registry, {
      name: 'switchyard_inventory_node_syncs_total',
      help: 'Node objects written into the inventory (created, updated) or refused (rejected), by result',
      labelNames: ['result'],
    });
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
