import { freeGpuSummary, type NodeFacts } from '../filters/node-facts';
import { headroomShare } from '../policies/policy';
import type { ClusterState } from './cluster-state';

/**
 * Nodes with identical free state (product, GPU memory, power-limit range, capacities, free
 * CPU/memory and the free share of each GPU by index) form one class. A policy is a pure
 * function of that state, so the filters and the policy run once per class and demand
 * shape. Only up nodes are members.
 */
export interface NodeClass extends NodeFacts {
  readonly key: string;
  listIndex: number;
  /** Member node numbers, ascending. */
  readonly members: number[];
  /** The same members ordered by (enclosing scope's headroom share, node number), for 'enclosing-scope' policies. */
  readonly byPower: PowerOrder;
  cacheGeneration: number;
  /** Per demand shape: the policy's GPUs and score, or null when it declines (see NodeSearch.classFit). */
  readonly cache: Map<string, ClassFit | null>;
}

export interface ClassFit {
  readonly gpus: readonly number[];
  /** Score for a policy that ignores power; for a power-aware policy, the highest score any PowerView can give. */
  readonly score: number;
}

/** Node numbers sorted by (power key, node number); a typed array so re-keying moves memory, not objects. */
export interface PowerOrder {
  nodes: Int32Array;
  size: number;
}

/** First index i >= from with a[i] >= x (a ascending). */
export function lowerBound(a: readonly number[], x: number, from = 0): number {
  let lo = from;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class NodeClasses {
  readonly list: NodeClass[] = [];
  private readonly byKey = new Map<string, NodeClass>();
  readonly nodeClass: (NodeClass | null)[];
  /** Headroom share of each node's enclosing scope, as it was when the node entered its class's byPower order. */
  readonly nodePowerKey: Float64Array;
  /** The nodes hanging directly under each scope (whose power key that scope's load sets). */
  private readonly scopeOwnNodes: number[][];
  /** Bumped when cached policy results stop being valid (another policy or workload). */
  cacheGeneration = 0;

  constructor(private readonly st: ClusterState) {
    const topo = st.topology;
    const N = topo.nodes.length;
    this.nodeClass = new Array<NodeClass | null>(N).fill(null);
    this.nodePowerKey = new Float64Array(N);
    this.scopeOwnNodes = topo.scopes.map(() => []);
    for (let n = 0; n < N; n++) this.scopeOwnNodes[st.enclosingScope(n)].push(n);
  }

  join(n: number): void {
    const st = this.st;
    const key = st.classKeyOf(n);
    let cls = this.byKey.get(key);
    if (!cls) {
      // Plain fields, no spread: every class must share one object shape for the search's property reads.
      const summary = freeGpuSummary(st.nodeGpuFree[n]);
      cls = {
        key,
        listIndex: this.list.length,
        up: true,
        resources: Object.freeze(st.nodeResources(n)),
        product: st.topology.nodes[n].gpuProduct,
        gpuMemoryMiB: st.nodeGpuMem[n],
        limitMin: st.nodeLimitMin[n],
        limitMax: st.nodeLimitMax[n],
        wholeFreeGpus: summary.wholeFreeGpus,
        maxFreeMilli: summary.maxFreeMilli,
        members: [],
        byPower: { nodes: new Int32Array(8), size: 0 },
        cacheGeneration: this.cacheGeneration,
        cache: new Map(),
      };
      this.byKey.set(key, cls);
      this.list.push(cls);
    }
    const m = cls.members;
    m.splice(lowerBound(m, n), 0, n);
    this.insertByPower(cls, n);
    this.nodeClass[n] = cls;
  }

  leave(n: number): void {
    const cls = this.nodeClass[n];
    if (cls === null) return;
    const m = cls.members;
    m.splice(lowerBound(m, n), 1);
    this.removeByPower(cls, n);
    this.nodeClass[n] = null;
    if (m.length === 0) {
      this.byKey.delete(cls.key);
      const last = this.list.pop()!;
      if (last !== cls) {
        this.list[cls.listIndex] = last;
        last.listIndex = cls.listIndex;
      }
    }
  }

  /** Headroom share of the node's enclosing scope, computed exactly as policies see it. */
  powerKeyOf(n: number): number {
    const st = this.st;
    const s = st.nodeEnclosing[n];
    const budget = st.scopeBudget[s];
    return headroomShare((budget - st.scopeLoad[s]) / 1000, budget / 1000);
  }

  /** After a scope's load or budget changed: moves its own nodes whose key changed (stored keys locate them). */
  rekeyOwnNodes(s: number): void {
    for (const m of this.scopeOwnNodes[s]) {
      const cls = this.nodeClass[m];
      if (cls === null || this.powerKeyOf(m) === this.nodePowerKey[m]) continue;
      this.removeByPower(cls, m);
      this.insertByPower(cls, m);
    }
  }

  /** First position after i whose key is above `key` (end of an equal-key group). */
  powerGroupEnd(order: PowerOrder, key: number, i: number): number {
    const keys = this.nodePowerKey;
    let lo = i;
    let hi = order.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[order.nodes[mid]] <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Position of (key, n) in a byPower order: first entry not below it. */
  private powerPosition(order: PowerOrder, key: number, n: number): number {
    const keys = this.nodePowerKey;
    let lo = 0;
    let hi = order.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = order.nodes[mid];
      const k = keys[m];
      if (k < key || (k === key && m < n)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertByPower(cls: NodeClass, n: number): void {
    const key = this.powerKeyOf(n);
    this.nodePowerKey[n] = key;
    const o = cls.byPower;
    if (o.size === o.nodes.length) {
      const grown = new Int32Array(Math.max(8, o.nodes.length * 2));
      grown.set(o.nodes);
      o.nodes = grown;
    }
    const at = this.powerPosition(o, key, n);
    o.nodes.copyWithin(at + 1, at, o.size);
    o.nodes[at] = n;
    o.size++;
  }

  /** Removes n, found under the key it was inserted with. */
  private removeByPower(cls: NodeClass, n: number): void {
    const o = cls.byPower;
    const at = this.powerPosition(o, this.nodePowerKey[n], n);
    o.nodes.copyWithin(at, at + 1, o.size);
    o.size--;
  }
}
