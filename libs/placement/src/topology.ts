import { PlacementInputError } from './errors';
import { SCOPE_KINDS, type ClusterInput, type NodeInput, type ScopeInput, type ScopeKind } from './model';

/**
 * The immutable shape of a cluster: the power scope tree and the nodes, numbered in
 * depth-first order (a scope's own nodes, then its child scopes in input order). With that
 * numbering every scope's nodes are one contiguous range [start, end), which is what lets
 * the engine restrict a search to a rack/row/hall by binary search, and "lowest node
 * number" is the one deterministic tie-break shared by the engine and the reference.
 */
export interface Topology {
  readonly scopes: readonly ScopeInput[];
  readonly scopeIndex: ReadonlyMap<string, number>;
  readonly scopeKind: readonly ScopeKind[];
  readonly scopeParent: Int32Array;
  readonly scopeChildren: readonly (readonly number[])[];
  /** Node range of each scope's subtree. */
  readonly scopeStart: Int32Array;
  readonly scopeEnd: Int32Array;
  readonly root: number;
  /** Nodes in depth-first order. */
  readonly nodes: readonly NodeInput[];
  readonly nodeIndex: ReadonlyMap<string, number>;
  /** Scopes from the root down to the node's own scope. */
  readonly nodePath: readonly Int32Array[];
  /** The node's rack (nearest ancestor of kind rack, else its own scope): the unit of spreading. */
  readonly nodeRack: Int32Array;
  /** Largest GPU count on one node, and whole GPUs per scope (for gang size checks). */
  readonly maxGpusPerNode: number;
  readonly scopeGpus: Float64Array;
  /** Most GPUs under any one scope of each kind. */
  readonly maxGpusByKind: Readonly<Record<ScopeKind, number>>;
  readonly products: ReadonlySet<string>;
}

function finiteNonNegative(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new PlacementInputError('invalid-value', field, `must be a finite number >= 0, got ${String(v)}`);
  return v;
}

export function scopeBudget(s: ScopeInput): number {
  if (s.overrideWatts !== undefined && s.overrideWatts !== null) return s.overrideWatts;
  return s.capacityWatts * (s.oversubscription ?? 1);
}

export function validateScope(s: ScopeInput, field: string): void {
  if (typeof s.id !== 'string' || s.id === '')
    throw new PlacementInputError('invalid-value', `${field}.id`, 'must be a non-empty string');
  if (!SCOPE_KINDS.includes(s.kind))
    throw new PlacementInputError('invalid-value', `${field}.kind`, `must be one of ${SCOPE_KINDS.join(', ')}`);
  finiteNonNegative(s.capacityWatts, `${field}.capacityWatts`);
  if (s.oversubscription !== undefined) {
    finiteNonNegative(s.oversubscription, `${field}.oversubscription`);
    if (s.oversubscription < 1)
      throw new PlacementInputError('invalid-value', `${field}.oversubscription`, 'must be >= 1');
  }
  if (s.overrideWatts !== undefined && s.overrideWatts !== null)
    finiteNonNegative(s.overrideWatts, `${field}.overrideWatts`);
}

function validateNode(n: NodeInput, field: string): void {
  if (typeof n.id !== 'string' || n.id === '')
    throw new PlacementInputError('invalid-value', `${field}.id`, 'must be a non-empty string');
  finiteNonNegative(n.cpuMilli, `${field}.cpuMilli`);
  finiteNonNegative(n.memoryMiB, `${field}.memoryMiB`);
  if (!Number.isInteger(n.cpuMilli))
    throw new PlacementInputError('invalid-value', `${field}.cpuMilli`, 'must be an integer');
  if (!Number.isInteger(n.memoryMiB))
    throw new PlacementInputError('invalid-value', `${field}.memoryMiB`, 'must be an integer');
  finiteNonNegative(n.idleWatts, `${field}.idleWatts`);
  finiteNonNegative(n.maxWatts, `${field}.maxWatts`);
  if (!Array.isArray(n.gpus)) throw new PlacementInputError('invalid-value', `${field}.gpus`, 'must be an array');
  if (n.gpus.length > 0 && (typeof n.gpuProduct !== 'string' || n.gpuProduct === ''))
    throw new PlacementInputError('invalid-value', `${field}.gpuProduct`, 'a node with GPUs needs a product');
  n.gpus.forEach((g, i) => {
    const f = `${field}.gpus[${i}]`;
    finiteNonNegative(g.memoryMiB, `${f}.memoryMiB`);
    finiteNonNegative(g.tdpWatts, `${f}.tdpWatts`);
    finiteNonNegative(g.minLimitWatts, `${f}.minLimitWatts`);
    finiteNonNegative(g.maxLimitWatts, `${f}.maxLimitWatts`);
    if (g.minLimitWatts > g.maxLimitWatts)
      throw new PlacementInputError('invalid-value', `${f}.minLimitWatts`, 'must be <= maxLimitWatts');
  });
}

export function buildTopology(cluster: ClusterInput): Topology {
  if (!cluster || !Array.isArray(cluster.scopes) || !Array.isArray(cluster.nodes))
    throw new PlacementInputError('invalid-value', 'cluster', 'needs scopes and nodes arrays');
  const scopes = cluster.scopes;
  const scopeIndexInput = new Map<string, number>();
  scopes.forEach((s, i) => {
    validateScope(s, `scopes[${i}]`);
    if (scopeIndexInput.has(s.id))
      throw new PlacementInputError('duplicate-id', `scopes[${i}].id`, `duplicate scope "${s.id}"`);
    scopeIndexInput.set(s.id, i);
  });
  const roots = scopes.filter((s) => s.parentId === null || s.parentId === undefined);
  if (roots.length !== 1)
    throw new PlacementInputError('invalid-topology', 'scopes', `needs exactly one root scope, found ${roots.length}`);
  const children: number[][] = scopes.map(() => []);
  const ownNodes: number[][] = scopes.map(() => []);
  scopes.forEach((s, i) => {
    if (s.parentId === null || s.parentId === undefined) return;
    const p = scopeIndexInput.get(s.parentId);
    if (p === undefined)
      throw new PlacementInputError('unknown-scope', `scopes[${i}].parentId`, `unknown scope "${s.parentId}"`);
    if (SCOPE_KINDS.indexOf(scopes[p].kind) >= SCOPE_KINDS.indexOf(s.kind))
      throw new PlacementInputError(
        'invalid-topology',
        `scopes[${i}].kind`,
        `a ${s.kind} cannot sit under a ${scopes[p].kind}`,
      );
    children[p].push(i);
  });
  const nodeIds = new Set<string>();
  cluster.nodes.forEach((n, i) => {
    validateNode(n, `nodes[${i}]`);
    if (nodeIds.has(n.id)) throw new PlacementInputError('duplicate-id', `nodes[${i}].id`, `duplicate node "${n.id}"`);
    nodeIds.add(n.id);
    const s = scopeIndexInput.get(n.scopeId);
    if (s === undefined)
      throw new PlacementInputError('unknown-scope', `nodes[${i}].scopeId`, `unknown scope "${n.scopeId}"`);
    ownNodes[s].push(i);
  });

  const rootIdx = scopeIndexInput.get(roots[0].id)!;
  const scopeStart = new Int32Array(scopes.length);
  const scopeEnd = new Int32Array(scopes.length);
  const scopeParent = new Int32Array(scopes.length).fill(-1);
  const scopeGpus = new Float64Array(scopes.length);
  const nodes: NodeInput[] = [];
  const nodePath: Int32Array[] = [];
  const nodeRack: number[] = [];
  const visited = new Uint8Array(scopes.length);
  const path: number[] = [];
  const visit = (s: number): void => {
    visited[s] = 1;
    path.push(s);
    scopeStart[s] = nodes.length;
    let rack = s;
    for (let k = path.length - 1; k >= 0; k--)
      if (scopes[path[k]].kind === 'rack') {
        rack = path[k];
        break;
      }
    for (const n of ownNodes[s]) {
      nodes.push(cluster.nodes[n]);
      nodePath.push(Int32Array.from(path));
      nodeRack.push(rack);
      for (const p of path) scopeGpus[p] += cluster.nodes[n].gpus.length;
    }
    for (const c of children[s]) {
      scopeParent[c] = s;
      visit(c);
    }
    scopeEnd[s] = nodes.length;
    path.pop();
  };
  visit(rootIdx);
  const unreachable = visited.indexOf(0);
  if (unreachable >= 0)
    throw new PlacementInputError('invalid-topology', `scopes[${unreachable}]`, 'not connected to the root');

  const products = new Set<string>();
  let maxGpusPerNode = 0;
  for (const n of nodes) {
    if (n.gpuProduct) products.add(n.gpuProduct);
    maxGpusPerNode = Math.max(maxGpusPerNode, n.gpus.length);
  }
  const maxGpusByKind: Record<ScopeKind, number> = { site: 0, hall: 0, row: 0, rack: 0 };
  for (let i = 0; i < scopes.length; i++) {
    const kind: ScopeKind = scopes[i].kind;
    maxGpusByKind[kind] = Math.max(maxGpusByKind[kind], scopeGpus[i]);
  }
  return {
    scopes,
    maxGpusByKind,
    scopeIndex: scopeIndexInput,
    scopeKind: scopes.map((s) => s.kind),
    scopeParent,
    scopeChildren: children,
    scopeStart,
    scopeEnd,
    root: rootIdx,
    nodes,
    nodeIndex: new Map(nodes.map((n, i) => [n.id, i])),
    nodePath,
    nodeRack: Int32Array.from(nodeRack),
    maxGpusPerNode,
    scopeGpus,
    products,
  };
}

/**
 * Power is accounted in integer milliwatts so that adding and removing pods in any order
 * gives exactly the same loads as summing from scratch (the reference does the same).
 */
export function toMilliwatts(watts: number): number {
  return Math.round(watts * 1000);
}
