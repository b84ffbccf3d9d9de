import type { ClusterInput, OverBudgetScope, PodPlacement, ScopeInput } from '../model';
import type { NodeResources } from '../policies/policy';
import type { ValidReplica } from '../request';
import { fixedGpuFacts } from '../filters/node-facts';
import { buildTopology, scopeBudget, toMilliwatts, type Topology } from '../topology';
import { NodeClasses } from './node-classes';
import { bump, TenantQuotas } from './tenant-quotas';

export interface PlacedPod {
  readonly podId: string;
  readonly replicaId: string;
  readonly node: number;
  readonly gpus: readonly number[];
  readonly milli: number;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly milliwatts: number;
  readonly powerLimitWatts: number | null;
}

export interface PlacedReplica {
  readonly valid: ValidReplica;
  readonly pods: PlacedPod[];
}

/**
 * The cluster's free state as flat arrays indexed by scope and node number, the placed
 * replicas, and the node classes kept current with it. Power is in integer milliwatts.
 * apply() is the one place a pod's resources and watts are added or removed.
 */
export class ClusterState {
  readonly topology: Topology;
  readonly tenants: TenantQuotas;

  readonly scopeInputs: ScopeInput[];
  readonly scopeBudget: Float64Array;
  readonly scopeLoad: Float64Array;
  /** Free GPU milli under each scope (ready or not), to skip gang anchors that cannot hold the gang. */
  readonly scopeFreeMilli: Float64Array;
  readonly nodeBudget: Float64Array;
  readonly nodeLoad: Float64Array;

  readonly nodeUp: Uint8Array;
  readonly nodeCpuFree: Float64Array;
  readonly nodeMemFree: Float64Array;
  readonly nodeGpuFree: Int32Array[];
  readonly nodeGpuMem: Float64Array;
  readonly nodeLimitMin: Float64Array;
  readonly nodeLimitMax: Float64Array;
  readonly nodePods: PlacedPod[][];
  /** The lowest scope each node hangs under (usually its rack). */
  readonly nodeEnclosing: Int32Array;
  private readonly conditions = new Map<number, { ready: boolean; schedulable: boolean }>();

  readonly replicas = new Map<string, PlacedReplica>();
  readonly podOwners = new Map<string, string>();
  readonly deploymentRacks = new Map<string, Map<number, number>>();
  readonly classes: NodeClasses;

  constructor(cluster: ClusterInput) {
    const topo = (this.topology = buildTopology(cluster));
    this.tenants = new TenantQuotas(cluster.tenants);
    const S = topo.scopes.length;
    const N = topo.nodes.length;
    const fixed = topo.nodes.map(fixedGpuFacts);
    this.scopeInputs = [...topo.scopes];
    this.scopeBudget = Float64Array.from(topo.scopes, (s) => toMilliwatts(scopeBudget(s)));
    this.scopeLoad = new Float64Array(S);
    this.scopeFreeMilli = Float64Array.from(topo.scopeGpus, (g) => g * 1000);
    this.nodeBudget = Float64Array.from(topo.nodes, (n) => toMilliwatts(n.maxWatts));
    this.nodeLoad = new Float64Array(N);
    this.nodeUp = Uint8Array.from(topo.nodes, (n) => (n.ready !== false && n.schedulable !== false ? 1 : 0));
    this.nodeCpuFree = Float64Array.from(topo.nodes, (n) => n.cpuMilli);
    this.nodeMemFree = Float64Array.from(topo.nodes, (n) => n.memoryMiB);
    this.nodeGpuFree = topo.nodes.map((n) => new Int32Array(n.gpus.length).fill(1000));
    this.nodeGpuMem = Float64Array.from(fixed, (f) => f.gpuMemoryMiB);
    this.nodeLimitMin = Float64Array.from(fixed, (f) => f.limitMin);
    this.nodeLimitMax = Float64Array.from(fixed, (f) => f.limitMax);
    this.nodePods = topo.nodes.map(() => []);
    this.nodeEnclosing = Int32Array.from(topo.nodePath, (path) => path[path.length - 1]);
    this.classes = new NodeClasses(this);
    for (let n = 0; n < N; n++) if (this.nodeUp[n]) this.classes.join(n);
  }

  /** Adds (+1) or removes (-1) a pod's resources and power everywhere they are counted. */
  apply(p: PlacedPod, v: ValidReplica, sign: 1 | -1): void {
    const n = p.node;
    const up = this.nodeUp[n] === 1;
    if (up) this.classes.leave(n);
    const free = this.nodeGpuFree[n];
    for (const g of p.gpus) free[g] -= sign * p.milli;
    this.nodeCpuFree[n] -= sign * p.cpuMilli;
    this.nodeMemFree[n] -= sign * p.memoryMiB;
    this.nodeLoad[n] += sign * p.milliwatts;
    const milli = p.gpus.length * p.milli;
    for (const s of this.topology.nodePath[n]) {
      this.scopeLoad[s] += sign * p.milliwatts;
      this.scopeFreeMilli[s] -= sign * milli;
    }
    if (v.tenant !== null) this.tenants.charge(v.tenant, sign * milli, sign * p.milliwatts);
    if (v.deployment !== null) {
      let racks = this.deploymentRacks.get(v.deployment);
      if (!racks) this.deploymentRacks.set(v.deployment, (racks = new Map()));
      bump(racks, this.topology.nodeRack[n], sign);
      if (racks.size === 0) this.deploymentRacks.delete(v.deployment);
    }
    if (sign > 0) this.nodePods[n].push(p);
    else {
      const list = this.nodePods[n];
      const k = list.indexOf(p);
      if (k >= 0) list.splice(k, 1);
    }
    if (p.milliwatts !== 0) this.classes.rekeyOwnNodes(this.enclosingScope(n));
    if (up) this.classes.join(n);
  }

  /** Records a replica whose pods have been applied. */
  record(v: ValidReplica, pods: PlacedPod[]): void {
    this.replicas.set(v.request.id, { valid: v, pods });
    for (const p of pods) this.podOwners.set(p.podId, v.request.id);
  }

  /** Removes a recorded replica's pods and forgets it. */
  forget(replicaId: string): void {
    const r = this.replicas.get(replicaId)!;
    for (let i = r.pods.length - 1; i >= 0; i--) this.apply(r.pods[i], r.valid, -1);
    this.replicas.delete(replicaId);
    for (const p of r.pods) this.podOwners.delete(p.podId);
  }

  setScope(s: number, next: ScopeInput): void {
    this.scopeInputs[s] = next;
    this.scopeBudget[s] = toMilliwatts(scopeBudget(next));
    this.classes.rekeyOwnNodes(s);
  }

  nodeReady(n: number): boolean {
    return this.conditions.get(n)?.ready ?? this.topology.nodes[n].ready !== false;
  }

  nodeSchedulable(n: number): boolean {
    return this.conditions.get(n)?.schedulable ?? this.topology.nodes[n].schedulable !== false;
  }

  setCondition(n: number, ready: boolean, schedulable: boolean): void {
    this.conditions.set(n, { ready, schedulable });
    const up = ready && schedulable;
    if (up === !!this.nodeUp[n]) return;
    if (this.nodeUp[n]) this.classes.leave(n);
    this.nodeUp[n] = up ? 1 : 0;
    if (up) this.classes.join(n);
  }

  /** The lowest scope a node hangs under (usually its rack). */
  enclosingScope(n: number): number {
    return this.nodeEnclosing[n];
  }

  /** The node's ancestor of that kind; the node's own scope when it has none (so it can still be excluded). */
  ancestorOfKind(n: number, kind: string): number {
    const path = this.topology.nodePath[n];
    for (let k = path.length - 1; k >= 0; k--) if (this.topology.scopeKind[path[k]] === kind) return path[k];
    return path[path.length - 1];
  }

  /**
   * The tightest power headroom on the node's path (node and every ancestor), in milliwatts,
   * and where it is: the scope number, or -1 for the node itself.
   */
  powerRoom(n: number): { roomMw: number; scope: number } {
    let room = this.nodeBudget[n] - this.nodeLoad[n];
    let at = -1;
    for (const s of this.topology.nodePath[n]) {
      const r = this.scopeBudget[s] - this.scopeLoad[s];
      if (r < room) {
        room = r;
        at = s;
      }
    }
    return { roomMw: room, scope: at };
  }

  /** The free resources of a node as policies see them. */
  nodeResources(n: number): NodeResources {
    const node = this.topology.nodes[n];
    return {
      gpuProduct: node.gpuProduct ?? '',
      gpuFreeMilli: Array.from(this.nodeGpuFree[n]),
      cpuFreeMilli: this.nodeCpuFree[n],
      memoryFreeMiB: this.nodeMemFree[n],
      cpuCapacityMilli: node.cpuMilli,
      memoryCapacityMiB: node.memoryMiB,
    };
  }

  /** Identifies a node's free state: nodes with equal keys form one class. */
  classKeyOf(n: number): string {
    const node = this.topology.nodes[n];
    return `${node.gpuProduct ?? ''}|${this.nodeGpuMem[n]}|${this.nodeLimitMin[n]}|${this.nodeLimitMax[n]}|${node.cpuMilli}|${node.memoryMiB}|${this.nodeCpuFree[n]}|${this.nodeMemFree[n]}|${this.nodeGpuFree[n].join(',')}`;
  }

  nodeFreeMilli(n: number): number {
    let free = 0;
    for (const f of this.nodeGpuFree[n]) free += f;
    return free;
  }

  /** Every scope (and node) whose placed predicted power exceeds its budget, worst first. */
  overBudget(): OverBudgetScope[] {
    const out: OverBudgetScope[] = [];
    const topo = this.topology;
    const over = (scopeId: string, kind: OverBudgetScope['kind'], budget: number, load: number) =>
      out.push({
        scopeId,
        kind,
        budgetWatts: budget / 1000,
        loadWatts: load / 1000,
        overByWatts: (load - budget) / 1000,
      });
    for (let s = 0; s < topo.scopes.length; s++)
      if (this.scopeLoad[s] > this.scopeBudget[s])
        over(topo.scopes[s].id, topo.scopeKind[s], this.scopeBudget[s], this.scopeLoad[s]);
    for (let n = 0; n < topo.nodes.length; n++)
      if (this.nodeLoad[n] > this.nodeBudget[n]) over(topo.nodes[n].id, 'node', this.nodeBudget[n], this.nodeLoad[n]);
    return out.sort((a, b) => b.overByWatts - a.overByWatts || (a.scopeId < b.scopeId ? -1 : 1));
  }

  toPodPlacement(p: PlacedPod): PodPlacement {
    return {
      podId: p.podId,
      nodeId: this.topology.nodes[p.node].id,
      gpuIndices: [...p.gpus],
      gpuMilli: p.milli,
      powerLimitWatts: p.powerLimitWatts,
      predictedWatts: p.milliwatts / 1000,
    };
  }
}
