import { Counter, Gauge, type Registry } from 'prom-client';

/** Node health and inventory-sync metrics (bounded labels only). */
export class NodeMetrics {
  private readonly notReady: Gauge<string>;
  private readonly affectedPods: Counter<'reason'>;
  private readonly syncs: Counter<'result'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const existing = (name: string) => registry.getSingleMetric(name);
    this.notReady =
      (existing('switchyard_nodes_not_ready') as Gauge<string>) ??
      new Gauge({ name: 'switchyard_nodes_not_ready', help: 'Nodes whose Ready condition is not True', registers });
    this.affectedPods =
      (existing('switchyard_node_failure_pods_total') as Counter<'reason'>) ??
      new Counter({
        name: 'switchyard_node_failure_pods_total',
        help: 'Pods reported (Warning Event) because their node went NotReady or was deleted, by reason',
        labelNames: ['reason'],
        registers,
      });
    this.syncs =
      (existing('switchyard_inventory_node_syncs_total') as Counter<'result'>) ??
      new Counter({
        name: 'switchyard_inventory_node_syncs_total',
        help: 'Node objects written into the inventory (created, updated) or refused (rejected), by result',
        labelNames: ['result'],
        registers,
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
