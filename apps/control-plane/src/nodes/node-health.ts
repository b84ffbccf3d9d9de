import type { Inventory } from '@switchyard/inventory';
import type { EventRecorder, NodeObject, PodObject, ResourceInformer } from '@switchyard/kube';
import type { ClusterState } from '../cluster-state/cluster-state';
import { isPodTerminal } from '../scheduling/pod-model';
import type { SchedulingLogger } from '../scheduling/scheduling-ports';
import { nodeReady, type NodeInventorySync } from './node-inventory-sync';
import type { NodeMetrics } from '@switchyard/telemetry';

export interface NodeHealthDeps {
  readonly state: ClusterState;
  readonly nodeSync: NodeInventorySync;
  readonly inventory: Inventory;
  readonly events: EventRecorder;
  readonly nodes: ResourceInformer<NodeObject>;
  readonly pods: ResourceInformer<PodObject>;
  readonly logger: SchedulingLogger;
  readonly metrics: NodeMetrics | null;
  readonly leading: () => boolean;
}

/**
 * Node readiness and cordon, from the Node objects into the cluster state and PostgreSQL, and
 * what happens to the pods of a node that goes NotReady or is deleted: each gets a Warning
 * Event (from the leader), and the NotReady gauge follows.
 */
export class NodeHealth {
  /** `ready/schedulable` as last applied, per node: heartbeats change nothing. */
  private readonly applied = new Map<string, string>();
  /** How many applied conditions are NotReady, kept as they change (a recount per node made a 15,000-node list O(n²)). */
  private notReady = 0;
  /** Nodes whose pods have been reported NotReady (until the node is Ready again). */
  private readonly reportedNotReady = new Set<string>();

  constructor(private readonly deps: NodeHealthDeps) {}

  /** Every Node object the informer holds, re-applied (after an inventory load or an activation). */
  reapplyAll(): void {
    if (!this.deps.nodes.hasSynced) return;
    for (const node of this.deps.nodes.list()) this.apply(node, true);
  }

  /**
   * Readiness and cordon (and whether its Node object could be synced) into the cluster state
   * and, when they change, into PostgreSQL. When a node goes NotReady, each of its pods gets a
   * Warning Event saying what happens to it.
   */
  apply(node: NodeObject, force = false): void {
    const name = node.metadata.name;
    const ready = nodeReady(node);
    const schedulable = !node.spec?.unschedulable && !this.deps.nodeSync.isBlocked(name);
    const condition = `${ready}/${schedulable}`;
    const previous = this.applied.get(name);
    if (previous === condition && !force) return;
    this.deps.state.setNodeCondition(name, { ready, schedulable });
    if (ready) this.reportedNotReady.delete(name);
    else if (this.deps.leading() && !this.reportedNotReady.has(name)) {
      this.reportedNotReady.add(name);
      this.reportPods(name, 'NodeNotReady', notReadyMessage(name));
    }
    if (previous === condition) return;
    this.setApplied(name, condition);
    if (previous === undefined && ready && schedulable) return; // first sight of a healthy node: nothing to record
    if (!this.deps.nodeSync.knows(name)) return; // not in the inventory (yet): nothing to update
    void this.deps.inventory.nodes
      .updateStatus(name, {
        schedulable: !node.spec?.unschedulable,
        health: ready ? 'healthy' : 'unhealthy',
        lastSeenAt: new Date(),
      })
      .catch((error: unknown) =>
        this.deps.logger.warn({ node: name, err: String(error) }, 'could not record the node status'),
      );
  }

  /** A pod was just bound to a node already reported NotReady (decided just before it went): report it too. */
  podBound(pod: PodObject): void {
    const node = pod.spec.nodeName;
    if (node && this.deps.leading() && this.reportedNotReady.has(node))
      this.reportPods(node, 'NodeNotReady', notReadyMessage(node), [pod]);
  }

  /** A Node object was deleted: nothing more goes there, and its pods are reported. */
  removed(node: NodeObject): void {
    const name = node.metadata.name;
    this.setApplied(name, undefined);
    this.reportedNotReady.delete(name);
    this.deps.state.setNodeCondition(name, { ready: false, schedulable: false });
    if (this.deps.leading())
      this.reportPods(
        name,
        'NodeDeleted',
        `node ${name} was deleted: no new pods go there; this pod keeps its GPUs and power budget until it is deleted (Kubernetes' pod garbage collector removes pods of deleted nodes)`,
      );
  }

  /** Why a node cannot run pods now (NotReady, deleted), for the ModelDeployment status; undefined when it can. */
  problem(name: string): string | undefined {
    const node = this.deps.nodes.get(name);
    if (!node) return this.deps.nodes.hasSynced ? `node ${name} was deleted` : undefined;
    return nodeReady(node) ? undefined : `node ${name} is NotReady`;
  }

  private reportPods(
    nodeName: string,
    reason: 'NodeNotReady' | 'NodeDeleted',
    message: string,
    pods: PodObject[] = this.deps.pods.list(),
  ): void {
    const affected = pods.filter((p) => p.spec.nodeName === nodeName && !isPodTerminal(p));
    for (const pod of affected)
      this.deps.events.emit(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          namespace: pod.metadata.namespace ?? 'default',
          name: pod.metadata.name,
          ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}),
        },
        'Warning',
        reason,
        message,
      );
    this.deps.metrics?.podsAffected(reason, affected.length);
    if (affected.length > 0)
      this.deps.logger.warn(
        { node: nodeName, reason, pods: affected.map((p) => `${p.metadata.namespace}/${p.metadata.name}`) },
        message,
      );
  }

  private setApplied(name: string, condition: string | undefined): void {
    const was = this.applied.get(name);
    if (was?.startsWith('false/')) this.notReady -= 1;
    if (condition === undefined) this.applied.delete(name);
    else {
      this.applied.set(name, condition);
      if (condition.startsWith('false/')) this.notReady += 1;
    }
    if (was?.startsWith('false/') !== condition?.startsWith('false/')) this.deps.metrics?.setNotReady(this.notReady);
  }
}

function notReadyMessage(nodeName: string): string {
  return `node ${nodeName} is NotReady: no new pods go there; this pod keeps its GPUs and power budget (its allocation) until it is deleted or the node is Ready again`;
}
