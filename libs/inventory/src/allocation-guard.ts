/**
 * The one rule for changing a node under live allocations, used by the Node-object sync and by
 * topology import alike: a node holding allocations stays in its rack and stays (it is not
 * pruned), and an allocated GPU stays on its node, keeps its product and does not lose memory
 * (the pod asked for that product and at least that memory). Everything else (more GPUs, more
 * memory, CPU, watts, labels) may change under allocations.
 */

export interface HeldGpu {
  readonly uuid: string;
  readonly index: number;
  readonly product: string;
  readonly memoryMiB: number;
  /** Allocated share in milli-GPU; 0 = free, and then nothing about it is held. */
  readonly allocatedMilli: number;
}

/** A node as the database holds it now. */
export interface HeldNode {
  readonly name: string;
  /** `site/hall/row/rack`. */
  readonly rackPath: string;
  readonly allocations: number;
  readonly gpus: readonly HeldGpu[];
}

/** What the node would become; its GPUs are matched by UUID. */
export interface NodeTarget {
  readonly rackPath: string;
  readonly gpus: ReadonlyArray<Pick<HeldGpu, 'uuid' | 'product' | 'memoryMiB'>>;
}

/** One refusal: which part of the node (`node` itself, its `rack`, its `gpus`) and why. */
export interface AllocationConflict {
  readonly part: 'node' | 'rack' | 'gpus';
  readonly message: string;
}

function indices(gpus: readonly HeldGpu[]): string {
  return gpus.map((g) => g.index).join(', ');
}

/** Every way `target` (null: the node is removed) would pull something from under `node`'s allocations; empty when none. */
export function allocationConflicts(node: HeldNode, target: NodeTarget | null): AllocationConflict[] {
  if (node.allocations === 0) return [];
  if (target === null)
    return [{ part: 'node', message: `it holds ${node.allocations} allocation(s) and cannot be removed` }];
  const conflicts: AllocationConflict[] = [];
  if (target.rackPath !== node.rackPath)
    conflicts.push({
      part: 'rack',
      message: `it holds ${node.allocations} allocation(s) and cannot move to rack ${target.rackPath}`,
    });
  const byUuid = new Map(target.gpus.map((g) => [g.uuid, g]));
  const allocated = node.gpus.filter((g) => g.allocatedMilli > 0);
  const removed = allocated.filter((g) => !byUuid.has(g.uuid));
  const retyped = allocated.filter((g) => {
    const next = byUuid.get(g.uuid);
    return next !== undefined && next.product !== g.product;
  });
  const shrunk = allocated.filter((g) => {
    const next = byUuid.get(g.uuid);
    return next !== undefined && next.product === g.product && next.memoryMiB < g.memoryMiB;
  });
  const to = (gpus: readonly HeldGpu[], value: (next: NodeTarget['gpus'][number]) => string | number) =>
    [...new Set(gpus.map((g) => value(byUuid.get(g.uuid) as NodeTarget['gpus'][number])))].join(', ');
  if (removed.length > 0)
    conflicts.push({ part: 'gpus', message: `GPUs ${indices(removed)} are allocated and cannot be removed` });
  if (retyped.length > 0)
    conflicts.push({
      part: 'gpus',
      message: `GPUs ${indices(retyped)} are allocated and cannot change product (to ${to(retyped, (n) => n.product)})`,
    });
  if (shrunk.length > 0)
    conflicts.push({
      part: 'gpus',
      message: `GPUs ${indices(shrunk)} are allocated and cannot lose memory (to ${to(shrunk, (n) => n.memoryMiB)} MiB)`,
    });
  return conflicts;
}
