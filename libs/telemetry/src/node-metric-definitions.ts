import type { CounterDefinition, GaugeDefinition } from './metric-definition';

/** Node health and inventory-sync metrics (labels: reason, result). */

export const nodesNotReady: GaugeDefinition<never> = {
  type: 'gauge',
  name: 'switchyard_nodes_not_ready',
  help: 'Nodes whose Ready condition is not True',
  labelNames: [],
};

export const nodeFailurePodsTotal: CounterDefinition<'reason'> = {
  type: 'counter',
  name: 'switchyard_node_failure_pods_total',
  help: 'Pods reported (Warning Event) because their node went NotReady or was deleted, by reason',
  labelNames: ['reason'],
};

export const inventoryNodeSyncsTotal: CounterDefinition<'result'> = {
  type: 'counter',
  name: 'switchyard_inventory_node_syncs_total',
  help: 'Node objects written into the inventory (created, updated) or refused (rejected), by result',
  labelNames: ['result'],
};

export const NODE_METRIC_DEFINITIONS = [nodesNotReady, nodeFailurePodsTotal, inventoryNodeSyncsTotal] as const;
