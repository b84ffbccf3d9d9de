/**
 * Keeps the inventory (PostgreSQL, and through it the engine) current with the Node objects:
 * a labelled GPU node that is new, or whose GPU count, product or rack changed, is created or
 * updated (node row and GPU rows, under the rack its `switchyard.io/hall|row|rack` labels name);
 * one that cannot be written (unknown rack or product, or a change that would pull a rack, GPUs,
 * a product or memory from under live allocations: the inventory's `allocationConflicts`, the rule
 * topology import follows too) gets a Warning Event and is kept unschedulable, with nothing written.
 * A deleted Node's row goes once no allocation references it (see `nodeDeleted`).
 */
import type { HealthState, Inventory, KubernetesNodeShape, NodeShapeRecord } from '@switchyard/inventory';
import type { EventRecorder, NodeObject } from '@switchyard/kube';
import { cpuMilli, memoryMiB } from '../scheduling/kube-quantity';
import { GPU_RESOURCE } from '../scheduling/pod-model';
import type { SchedulingLogger } from '../scheduling/scheduling-ports';

export const LABELS = {
  site: 'switchyard.io/site',
  hall: 'switchyard.io/hall',
  row: 'switchyard.io/row',
  rack: 'switchyard.io/rack',
  product: 'nvidia.com/gpu.product',
  memory: 'nvidia.com/gpu.memory',
} as const;
/** GPU UUIDs by index, comma-separated, when the node publishes them (the embedded API's nodes do). */
export const GPU_UUIDS_ANNOTATION = 'switchyard.io/gpu-uuids';

const ACTOR = 'system:node-sync';

/** What a Node object says about the inventory, or why it cannot say it. */
export type NodeReading =
  | { readonly kind: 'shape'; readonly shape: KubernetesNodeShape }
  /** Not a Switchyard GPU node (no rack label): only its readiness and cordon matter. */
  | { readonly kind: 'unmanaged' }
  | { readonly kind: 'invalid'; readonly reason: string; readonly message: string };

export function nodeReady(node: NodeObject): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Reads the inventory shape from a Node object's allocatable resources and labels. */
export function readNode(node: NodeObject): NodeReading {
  const labels = node.metadata.labels ?? {};
  const rack = labels[LABELS.rack];
  if (!rack) return { kind: 'unmanaged' };
  const missing = [LABELS.hall, LABELS.row].filter((l) => !labels[l]);
  if (missing.length > 0)
    return {
      kind: 'invalid',
      reason: 'TopologyLabelsMissing',
      message: `node has ${LABELS.rack}=${rack} but no ${missing.join(' or ')}: Switchyard cannot place it in a rack, so it is not schedulable`,
    };
  const allocatable = node.status?.allocatable ?? {};
  const gpus = allocatable[GPU_RESOURCE] ?? '0';
  const gpuCount = Number(gpus);
  if (!Number.isInteger(gpuCount) || gpuCount < 0)
    return {
      kind: 'invalid',
      reason: 'InvalidGpuCount',
      message: `allocatable ${GPU_RESOURCE}=${gpus} is not a whole number of GPUs; the node is not schedulable`,
    };
  let cpu = 0;
  let memory = 0;
  try {
    cpu = allocatable.cpu ? cpuMilli(allocatable.cpu) : 0;
    memory = allocatable.memory ? memoryMiB(allocatable.memory) : 0;
  } catch (error) {
    return { kind: 'invalid', reason: 'InvalidAllocatable', message: `allocatable cpu/memory: ${String(error)}` };
  }
  const gpuMemory = labels[LABELS.memory] ? Number(labels[LABELS.memory]) : undefined;
  const uuids = node.metadata.annotations?.[GPU_UUIDS_ANNOTATION];
  const ready = nodeReady(node);
  return {
    kind: 'shape',
    shape: {
      name: node.metadata.name,
      ...(labels[LABELS.site] ? { site: labels[LABELS.site] } : {}),
      hall: labels[LABELS.hall],
      row: labels[LABELS.row],
      rack,
      cpuMilli: cpu,
      memoryMiB: memory,
      gpuCount,
      gpuProduct: labels[LABELS.product] || null,
      ...(gpuMemory !== undefined && Number.isInteger(gpuMemory) && gpuMemory > 0 ? { gpuMemoryMiB: gpuMemory } : {}),
      ...(uuids ? { gpuUuids: uuids.split(',').map((u) => u.trim()) } : {}),
      schedulable: !node.spec?.unschedulable,
      health: (ready ? 'healthy' : 'unhealthy') satisfies HealthState,
    },
  };
}

/** True when the inventory already holds what the Node object says (nothing to write). */
export function agrees(shape: KubernetesNodeShape, known: NodeShapeRecord | undefined): boolean {
  if (!known) return false;
  const [site, hall, row, rack] = known.rackPath.split('/');
  return (
    (shape.site === undefined || shape.site === site) &&
    shape.hall === hall &&
    shape.row === row &&
    shape.rack === rack &&
    shape.cpuMilli === known.cpuMilli &&
    shape.memoryMiB === known.memoryMiB &&
    shape.gpuCount === known.gpuCount &&
    (shape.gpuCount === 0 ||
      (known.uniformGpus &&
        shape.gpuProduct === known.gpuProduct &&
        (shape.gpuMemoryMiB === undefined ||
          (shape.gpuMemoryMiB === known.gpuMemoryMiB?.min && shape.gpuMemoryMiB === known.gpuMemoryMiB.max))))
  );
}

export interface NodeInventorySyncDeps {
  readonly inventory: Inventory;
  readonly events: EventRecorder;
  readonly logger: SchedulingLogger;
  /** The inventory changed (a node written or removed): reload it into the engine. */
  readonly onInventoryChanged: () => void;
  /** A node became (un)blocked: its schedulability in the engine must be re-applied. */
  readonly onBlockedChanged: (nodeName: string) => void;
  /** For metrics: a node written, or refused by the inventory. */
  readonly onSynced?: (result: 'created' | 'updated' | 'rejected') => void;
}

export class NodeInventorySync {
  private known = new Map<string, NodeShapeRecord>();
  /** Nodes whose Node object cannot be written into the inventory: kept unschedulable. */
  private readonly blocked = new Map<string, string>();
  /** Last shape tried per node (JSON), so a heartbeat does not repeat a refused write. */
  private readonly attempted = new Map<string, string>();
  /** Deleted Node objects whose rows still have allocations. */
  private readonly removals = new Set<string>();
  /** The last Warning per node, so heartbeats do not repeat it. */
  private readonly warned = new Map<string, string>();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: NodeInventorySyncDeps) {}

  /** Reload what the database holds; refused writes are tried again against it. */
  async reload(): Promise<void> {
    const shapes = await this.deps.inventory.nodes.shapes();
    this.known = new Map(shapes.map((s) => [s.name, s]));
    this.attempted.clear();
  }

  isBlocked(nodeName: string): boolean {
    return this.blocked.has(nodeName);
  }

  knows(nodeName: string): boolean {
    return this.known.has(nodeName);
  }

  /**
   * A Node object was seen (added or changed). `write` is false on followers: they only block
   * what cannot be written; the leader writes (one writer, no races between replicas).
   */
  nodeSeen(node: NodeObject, write: boolean): void {
    const name = node.metadata.name;
    this.removals.delete(name);
    const reading = readNode(node);
    if (reading.kind === 'unmanaged') {
      if (!this.known.has(name) && Number(node.status?.allocatable?.[GPU_RESOURCE] ?? 0) > 0 && write)
        this.warnOnce(
          node,
          'NotInInventory',
          `node has ${GPU_RESOURCE} but no ${LABELS.hall}/${LABELS.row}/${LABELS.rack} labels and is not in the inventory: label it (or import it with the topology) to schedule on it`,
        );
      this.unblock(name);
      return;
    }
    if (reading.kind === 'invalid') {
      this.block(node, reading.reason, reading.message, write);
      return;
    }
    let shape = reading.shape;
    const known = this.known.get(name);
    // No allocatable GPUs at all on a node labelled with a GPU product: the device plugin is not
    // reporting (yet, or again); that is not a node without GPUs, so keep the count we know.
    if (node.status?.allocatable?.[GPU_RESOURCE] === undefined && shape.gpuProduct && known && known.gpuCount > 0)
      shape = { ...shape, gpuCount: known.gpuCount };
    if (agrees(shape, known)) {
      this.unblock(name);
      return;
    }
    const signature = JSON.stringify({ ...shape, schedulable: undefined, health: undefined });
    if (!write || this.attempted.get(name) === signature) return;
    this.attempted.set(name, signature);
    this.enqueue(async () => {
      try {
        const outcome = await this.deps.inventory.nodes.syncFromKubernetes(shape, { actor: ACTOR });
        this.deps.logger.info(
          { node: name, change: outcome.change, fields: outcome.fields },
          'node synced into the inventory',
        );
        this.unblock(name);
        if (outcome.change !== 'unchanged') {
          this.deps.onSynced?.(outcome.change);
          this.deps.events.emit(
            involved(node),
            'Normal',
            outcome.change === 'created' ? 'InventoryNodeCreated' : 'InventoryNodeUpdated',
            outcome.change === 'created'
              ? `added to the Switchyard inventory: ${shape.gpuCount} x ${shape.gpuProduct ?? 'no GPU'} in rack ${shape.hall}/${shape.row}/${shape.rack}`
              : `Switchyard inventory updated (${outcome.fields.join(', ')}): ${shape.gpuCount} x ${shape.gpuProduct ?? 'no GPU'} in rack ${shape.hall}/${shape.row}/${shape.rack}`,
          );
          this.deps.onInventoryChanged();
        }
      } catch (error) {
        const errorName = (error as { name?: string })?.name;
        if (errorName === 'InvalidParameterError' || errorName === 'ConflictError') {
          const field = (error as { field?: string }).field;
          this.deps.onSynced?.('rejected');
          this.block(
            node,
            errorName === 'ConflictError' ? 'InventoryChangeBlocked' : 'InventoryRejected',
            `${field ? `${field} ` : ''}${(error as Error).message}; the node is not schedulable until this is resolved`,
            true,
          );
        } else {
          // The database is unreachable: try again on the next sight or reload.
          this.attempted.delete(name);
          this.deps.logger.warn({ node: name, err: String(error) }, 'could not sync the node into the inventory');
        }
      }
    });
  }

  /**
   * The Node object is gone. Its pods (if any) are deleted by Kubernetes' pod garbage collector
   * and release their allocations through the scheduler; until then their GPUs, watts and
   * budget stay counted (the machine may still run them), and the row is only marked
   * unschedulable. The row (with its GPUs) is deleted once nothing references it.
   */
  nodeDeleted(node: NodeObject, write: boolean): void {
    const name = node.metadata.name;
    this.blocked.delete(name);
    this.attempted.delete(name);
    this.warned.delete(name);
    if (!write || !this.known.has(name)) return;
    this.removals.add(name);
    this.retryRemovals();
  }

  /** Try the pending removals again (after pods were deleted, or on reload). */
  retryRemovals(): void {
    if (this.removals.size === 0) return;
    const names = [...this.removals];
    this.enqueue(async () => {
      let changed = false;
      for (const name of names) {
        if (!this.removals.has(name)) continue;
        try {
          const removed = await this.deps.inventory.nodes.removeIfUnallocated(name, { actor: ACTOR });
          if (removed) {
            this.removals.delete(name);
            this.known.delete(name);
            this.deps.logger.info({ node: name }, 'deleted Node removed from the inventory');
            // Only a real removal changes the inventory: reloading after a refusal would loop.
            changed = true;
          }
        } catch (error) {
          if ((error as { name?: string })?.name === 'NotFoundError') this.removals.delete(name);
          else this.deps.logger.warn({ node: name, err: String(error) }, 'could not remove the deleted node');
        }
      }
      if (changed) this.deps.onInventoryChanged();
    });
  }

  get pendingRemovals(): ReadonlySet<string> {
    return this.removals;
  }

  /** Resolves when every write queued so far is done (tests, shutdown). */
  idle(): Promise<void> {
    return this.writing;
  }

  private enqueue(work: () => Promise<void>): void {
    this.writing = this.writing
      .then(work)
      .catch((error: unknown) => this.deps.logger.error({ err: String(error) }, 'node sync failed'));
  }

  private block(node: NodeObject, reason: string, message: string, emit: boolean): void {
    const name = node.metadata.name;
    const before = this.blocked.get(name);
    this.blocked.set(name, message);
    if (emit) this.warnOnce(node, reason, message);
    if (before === undefined) {
      this.deps.logger.warn({ node: name, reason, message }, 'node cannot be synced into the inventory');
      this.deps.onBlockedChanged(name);
    }
  }

  private unblock(name: string): void {
    this.warned.delete(name);
    if (this.blocked.delete(name)) this.deps.onBlockedChanged(name);
  }

  /** One Warning per distinct problem of a node (not one per heartbeat). */
  private warnOnce(node: NodeObject, reason: string, message: string): void {
    const key = `${reason}: ${message}`;
    if (this.warned.get(node.metadata.name) === key) return;
    this.warned.set(node.metadata.name, key);
    this.deps.events.emit(involved(node), 'Warning', reason, message);
  }
}

function involved(node: NodeObject) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    // Events about cluster-scoped objects live in `default`, as the kubelet's do.
    namespace: 'default',
    name: node.metadata.name,
    ...(node.metadata.uid ? { uid: node.metadata.uid } : {}),
  };
}
