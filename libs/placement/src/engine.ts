import { PlacementInputError, PolicyContractError } from './errors';
import { explainUnschedulable, type ExplainInput } from './explain';
import type {
  BudgetChange,
  ClusterInput,
  ExistingPlacement,
  Explanation,
  OverBudgetScope,
  PlaceResult,
  PodPlacement,
  ReplicaRequest,
  ScopeInput,
} from './model';
import {
  headroomShare,
  type NodeResources,
  type PolicyContext,
  type PowerView,
  type ScoringPolicy,
} from './policies/policy';
import { DEFAULT_POLICY, policyByName } from './policies/registry';
import { validateReplica, type ValidPod, type ValidReplica } from './request';
import { buildTopology, scopeBudget, toMilliwatts, validateScope, type Topology } from './topology';

/**
 * The placement engine: the cluster's free state plus the indexes that make an exact
 * (no sampling) best-node search cheap. See README.md for the design; in short:
 *
 * - Nodes with identical free state (product, GPU memory, power-limit range, capacities,
 *   free CPU/memory and the free share of each GPU by index) form one NodeClass. A policy is
 *   a pure function of that state, so assignGpus/score are computed once per class and
 *   demand shape and cached until the class dissolves.
 * - A class keeps its members sorted by node number; a subtree of the power tree is a
 *   contiguous node range, so "first member under this rack/row/hall with enough power
 *   headroom" is a binary search plus a walk that jumps past any scope lacking headroom.
 * - Scope loads and budgets are integer milliwatts, updated along the node's path
 *   (depth <= 5) on every place/release.
 *
 * Search for one pod: score every class that fits (cached), visit classes from the best
 * score down, and take the lowest-numbered node with enough power in the best class that
 * has one. That is exactly "score every feasible node, highest score wins, lowest node
 * number breaks ties", which reference.ts computes naively.
 */

export interface ScoringChoice {
  /** A registered policy name or a policy object; defaults to the engine's policy. */
  readonly policy?: string | ScoringPolicy;
  readonly context?: PolicyContext;
  /** false skips building the explanation of a failed placement (replays that only count). Default true. */
  readonly explain?: boolean;
}

export interface PlacementEngineOptions extends ScoringChoice {
  readonly placements?: readonly ExistingPlacement[];
}

interface NodeClass {
  readonly key: string;
  listIndex: number;
  readonly resources: NodeResources;
  readonly product: string | null;
  readonly gpuMemoryMiB: number;
  readonly limitMin: number;
  readonly limitMax: number;
  /** Member node numbers, ascending. */
  readonly members: number[];
  /** The same members ordered by (enclosing scope's headroom share, node number), for 'enclosing-scope' policies. */
  readonly byPower: PowerOrder;
  /** Quick resource summary, checked before any cache lookup or policy call. */
  readonly cpuFree: number;
  readonly memFree: number;
  readonly wholeFree: number;
  readonly maxFree: number;
  cacheGeneration: number;
  readonly cache: Map<string, ClassFit | null>;
}

/** Node numbers sorted by (power key, node number); a typed array so re-keying moves memory, not objects. */
interface PowerOrder {
  nodes: Int32Array;
  size: number;
}

interface ClassFit {
  readonly gpus: readonly number[];
  /** Score for a policy that ignores power; for a power-aware policy, the highest score any PowerView can give. */
  readonly score: number;
}

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

interface Candidate {
  readonly node: number;
  readonly gpus: readonly number[];
  readonly score: number;
  readonly milliwatts: number;
  readonly powerLimitWatts: number | null;
}

export interface Scoring {
  readonly policy: ScoringPolicy;
  readonly ctx: PolicyContext;
  readonly explain: boolean;
}

/** Where a search may look: a node range (a scope subtree) minus excluded scopes. */
interface SearchArea {
  readonly lo: number;
  readonly hi: number;
  /** Racks holding the deployment already (soft spreading), keyed by scope number. */
  readonly spread: ReadonlyMap<number, number> | null;
  /** Gang anchors already tried. */
  readonly anchors: ReadonlySet<number> | null;
  /** For a gang's first pod: its anchor (scope of this kind) needs this much free, and its power every scope above too. */
  readonly gang: { readonly kind: string; readonly milli: number; readonly milliwatts: number } | null;
  /** Nodes already tried for this pod by the gang search (backtracking); null for none. */
  readonly skip: ReadonlySet<number> | null;
}

/**
 * Node searches (findBest calls) one gang placement may spend backtracking inside its anchor
 * scopes, beyond the first (greedy) try of each pod. Far above what a rack of a few nodes
 * needs (a 2-pod gang in a 4-node rack needs at most 4 + 4 x 4 = 20), so the search is exact
 * there and on every small cluster. Once spent, the anchor being searched counts as not
 * fitting and the remaining anchors get the greedy try only, so a row or hall gang that
 * cannot fit costs at most this many extra node searches (tens of milliseconds at campus
 * scale) instead of an exponential search.
 */
export const MAX_GANG_SEARCH_STEPS = 8192;

/** Demand shapes remembered per node class; recent shapes are what repeats. */
const MAX_CACHED_SHAPES = 64;
const EMPTY_CONTEXT: PolicyContext = { workload: [] };
const NO_POWER: PowerView = {
  headroomWatts: Number.POSITIVE_INFINITY,
  budgetWatts: Number.POSITIVE_INFINITY,
  podWatts: 0,
  enclosingHeadroomWatts: Number.POSITIVE_INFINITY,
  enclosingBudgetWatts: Number.POSITIVE_INFINITY,
};

/** First index i >= from with a[i] >= x (a ascending). */
function lowerBound(a: readonly number[], x: number, from = 0): number {
  let lo = from;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class PlacementEngine {
  readonly topology: Topology;
  private readonly cluster: ClusterInput;
  private readonly defaultScoring: Scoring;

  // Power, in integer milliwatts.
  private readonly scopeInputs: ScopeInput[];
  private readonly scopeBudget: Float64Array;
  private readonly scopeLoad: Float64Array;
  /** Free GPU milli under each scope (ready or not), to skip gang anchors that cannot hold the gang. */
  private readonly scopeFreeMilli: Float64Array;
  private readonly nodeBudget: Float64Array;
  private readonly nodeLoad: Float64Array;

  // Node state.
  private readonly nodeUp: Uint8Array;
  private readonly nodeCpuFree: Float64Array;
  private readonly nodeMemFree: Float64Array;
  private readonly nodeGpuFree: Int32Array[];
  private readonly nodeGpuMem: Float64Array;
  private readonly nodeLimitMin: Float64Array;
  private readonly nodeLimitMax: Float64Array;
  private readonly nodeClass: (NodeClass | null)[];
  private readonly nodePods: PlacedPod[][];
  /** Headroom share of each node's enclosing scope, as it was when the node entered its class's byPower order. */
  private readonly nodePowerKey: Float64Array;
  /** The nodes hanging directly under each scope (whose power key that scope's load sets). */
  private readonly scopeOwnNodes: number[][];

  // Node classes.
  private readonly classes = new Map<string, NodeClass>();
  private readonly classList: NodeClass[] = [];
  private cacheGeneration = 0;
  private cacheOwner: Scoring | null = null;

  // Replicas, tenants, deployments.
  private readonly replicas = new Map<string, PlacedReplica>();
  private readonly podOwners = new Map<string, string>();
  private readonly tenantIds: ReadonlySet<string> | null;
  private readonly tenantGpuQuotaMilli = new Map<string, number>();
  private readonly tenantWattQuotaMw = new Map<string, number>();
  private readonly tenantUsedMilli = new Map<string, number>();
  private readonly tenantUsedMw = new Map<string, number>();
  private readonly deploymentRacks = new Map<string, Map<number, number>>();

  constructor(cluster: ClusterInput, options: PlacementEngineOptions = {}) {
    this.topology = buildTopology(cluster);
    this.cluster = cluster;
    this.defaultScoring = this.resolveScoring(options, {
      policy: policyByName(DEFAULT_POLICY),
      ctx: EMPTY_CONTEXT,
      explain: true,
    });
    const topo = this.topology;
    const S = topo.scopes.length;
    const N = topo.nodes.length;
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
    this.nodeGpuMem = Float64Array.from(topo.nodes, (n) =>
      n.gpus.length === 0 ? 0 : Math.min(...n.gpus.map((g) => g.memoryMiB)),
    );
    // A power limit must be valid on every GPU of the node.
    this.nodeLimitMin = Float64Array.from(topo.nodes, (n) =>
      n.gpus.length === 0 ? 0 : Math.max(...n.gpus.map((g) => g.minLimitWatts)),
    );
    this.nodeLimitMax = Float64Array.from(topo.nodes, (n) =>
      n.gpus.length === 0 ? 0 : Math.min(...n.gpus.map((g) => g.maxLimitWatts)),
    );
    this.nodeClass = new Array<NodeClass | null>(N).fill(null);
    this.nodePods = topo.nodes.map(() => []);
    this.nodePowerKey = new Float64Array(N);
    this.scopeOwnNodes = topo.scopes.map(() => []);
    for (let n = 0; n < N; n++) this.scopeOwnNodes[this.enclosingScope(n)].push(n);

    const tenants = cluster.tenants ?? null;
    if (tenants !== null) {
      const ids = new Set<string>();
      tenants.forEach((t, i) => {
        if (typeof t.id !== 'string' || t.id === '')
          throw new PlacementInputError('invalid-value', `tenants[${i}].id`, 'must be a non-empty string');
        if (ids.has(t.id))
          throw new PlacementInputError('duplicate-id', `tenants[${i}].id`, `duplicate tenant "${t.id}"`);
        ids.add(t.id);
        for (const [field, v] of [
          ['gpuQuota', t.gpuQuota],
          ['wattQuota', t.wattQuota],
        ] as const)
          if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0))
            throw new PlacementInputError(
              'invalid-value',
              `tenants[${i}].${field}`,
              `must be a finite number >= 0 or null, got ${String(v)}`,
            );
        if (t.gpuQuota !== undefined && t.gpuQuota !== null)
          this.tenantGpuQuotaMilli.set(t.id, Math.round(t.gpuQuota * 1000));
        if (t.wattQuota !== undefined && t.wattQuota !== null)
          this.tenantWattQuotaMw.set(t.id, toMilliwatts(t.wattQuota));
      });
      this.tenantIds = ids;
    } else this.tenantIds = null;

    for (let n = 0; n < N; n++) if (this.nodeUp[n]) this.joinClass(n);
    for (const [i, p] of (options.placements ?? []).entries()) this.adoptValidated(p, `placements[${i}]`);
  }

  // ---------------------------------------------------------------- public operations

  /** Places one replica (a pod or a gang, all-or-nothing), or explains why it cannot. */
  place(request: ReplicaRequest, choice: ScoringChoice = {}): PlaceResult {
    const v = this.validateNew(request);
    const sc = this.resolveScoring(choice, this.defaultScoring);
    return this.placeValid(v, sc);
  }

  /** Removes a placed replica (every pod of a gang); throws 'unknown-replica' if not placed. */
  release(replicaId: string): void {
    const r = this.replicas.get(replicaId);
    if (!r) throw new PlacementInputError('unknown-replica', 'replicaId', `no placed replica "${String(replicaId)}"`);
    for (let i = r.pods.length - 1; i >= 0; i--) this.uncommit(r.pods[i], r.valid);
    this.replicas.delete(replicaId);
    for (const p of r.pods) this.podOwners.delete(p.podId);
  }

  /** Releases the replica a pod belongs to (a gang goes as a whole); throws 'unknown-replica' for an unknown pod. */
  releasePod(podId: string): string {
    const replicaId = this.podOwners.get(podId);
    if (replicaId === undefined)
      throw new PlacementInputError('unknown-replica', 'podId', `no placed pod "${String(podId)}"`);
    this.release(replicaId);
    return replicaId;
  }

  /** The replica that owns a pod, or undefined. */
  replicaOfPod(podId: string): string | undefined {
    return this.podOwners.get(podId);
  }

  /** Records a placement decided elsewhere (e.g. loaded from the database). Resources must fit; power may be over budget (it is reported, not refused). */
  adopt(existing: ExistingPlacement): void {
    this.adoptValidated(existing, 'placement');
  }

  /** Changes a scope's capacity, oversubscription or override; returns every scope and node now over budget. */
  applyBudgetChange(change: BudgetChange): OverBudgetScope[] {
    const s = this.topology.scopeIndex.get(change?.scopeId);
    if (s === undefined)
      throw new PlacementInputError('unknown-scope', 'scopeId', `unknown scope "${String(change?.scopeId)}"`);
    const cur = this.scopeInputs[s];
    const next: ScopeInput = {
      ...cur,
      ...(change.capacityWatts !== undefined ? { capacityWatts: change.capacityWatts } : {}),
      ...(change.oversubscription !== undefined ? { oversubscription: change.oversubscription } : {}),
      ...(change.overrideWatts !== undefined ? { overrideWatts: change.overrideWatts } : {}),
    };
    validateScope(next, 'change');
    this.scopeInputs[s] = next;
    this.scopeBudget[s] = toMilliwatts(scopeBudget(next));
    this.rekeyOwnNodes(s);
    return this.overBudget();
  }

  /** Marks a node ready/schedulable or not; pods on it stay (eviction is the caller's decision). */
  setNodeCondition(nodeId: string, condition: { ready?: boolean; schedulable?: boolean }): void {
    const n = this.nodeNumber(nodeId);
    for (const k of ['ready', 'schedulable'] as const)
      if (condition?.[k] !== undefined && typeof condition[k] !== 'boolean')
        throw new PlacementInputError('invalid-value', k, 'must be a boolean');
    const up = (condition.ready ?? this.nodeReady(n)) && (condition.schedulable ?? this.nodeSchedulable(n));
    this.nodeConditions.set(n, {
      ready: condition.ready ?? this.nodeReady(n),
      schedulable: condition.schedulable ?? this.nodeSchedulable(n),
    });
    if (up === !!this.nodeUp[n]) return;
    if (this.nodeUp[n]) this.leaveClass(n);
    this.nodeUp[n] = up ? 1 : 0;
    if (up) this.joinClass(n);
  }

  /** Every scope (and node) whose placed predicted power exceeds its budget, worst first. */
  overBudget(): OverBudgetScope[] {
    const out: OverBudgetScope[] = [];
    const topo = this.topology;
    for (let s = 0; s < topo.scopes.length; s++)
      if (this.scopeLoad[s] > this.scopeBudget[s])
        out.push({
          scopeId: topo.scopes[s].id,
          kind: topo.scopeKind[s],
          budgetWatts: this.scopeBudget[s] / 1000,
          loadWatts: this.scopeLoad[s] / 1000,
          overByWatts: (this.scopeLoad[s] - this.scopeBudget[s]) / 1000,
        });
    for (let n = 0; n < topo.nodes.length; n++)
      if (this.nodeLoad[n] > this.nodeBudget[n])
        out.push({
          scopeId: topo.nodes[n].id,
          kind: 'node',
          budgetWatts: this.nodeBudget[n] / 1000,
          loadWatts: this.nodeLoad[n] / 1000,
          overByWatts: (this.nodeLoad[n] - this.nodeBudget[n]) / 1000,
        });
    return out.sort((a, b) => b.overByWatts - a.overByWatts || (a.scopeId < b.scopeId ? -1 : 1));
  }

  /** Every placed replica, in a form the constructor (or a reference computation) accepts. */
  snapshot(): ExistingPlacement[] {
    return [...this.replicas.values()].map((r) => ({
      replica: r.valid.request,
      pods: r.pods.map((p) => this.toPodPlacement(p)),
    }));
  }

  /** The cluster input as it stands now (budget changes and node conditions applied). */
  currentCluster(): ClusterInput {
    return {
      scopes: [...this.scopeInputs],
      nodes: this.topology.nodes.map((n, i) => ({
        ...n,
        ready: this.nodeReady(i),
        schedulable: this.nodeSchedulable(i),
      })),
      tenants: this.cluster.tenants,
    };
  }

  /** An independent copy to try things on; the real state is never touched through it. */
  fork(): PlacementEngine {
    const d = this.defaultScoring;
    return new PlacementEngine(this.currentCluster(), {
      placements: this.snapshot(),
      policy: d.policy,
      context: d.ctx,
      explain: d.explain,
    });
  }

  get placedReplicas(): ReadonlyMap<string, PlacedReplica> {
    return this.replicas;
  }

  get nodeCount(): number {
    return this.topology.nodes.length;
  }

  get gpuCount(): number {
    return this.topology.scopeGpus[this.topology.root];
  }

  /** Allocated GPU share over the whole cluster, in milli. */
  get allocatedMilli(): number {
    return this.topology.scopeGpus[this.topology.root] * 1000 - this.scopeFreeMilli[this.topology.root];
  }

  /** Number of distinct node states (classes) right now; a measure of how well the cache shares work. */
  get classCount(): number {
    return this.classList.length;
  }

  // ---------------------------------------------------------------- read access for explain/preempt/invariants

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

  /** Internal state for checkInvariants(): loads in milliwatts, free resources, classes. */
  indexState(): {
    scopeLoadMw: Float64Array;
    scopeBudgetMw: Float64Array;
    scopeFreeMilli: Float64Array;
    nodeLoadMw: Float64Array;
    nodeBudgetMw: Float64Array;
    nodeCpuFree: Float64Array;
    nodeMemFree: Float64Array;
    nodeGpuFree: readonly Int32Array[];
    nodeUp: Uint8Array;
    classes: { key: string; members: readonly number[]; resources: NodeResources }[];
    nodeClassKey: (string | null)[];
    tenantUsedMilli: ReadonlyMap<string, number>;
    tenantUsedMw: ReadonlyMap<string, number>;
    deploymentRacks: ReadonlyMap<string, ReadonlyMap<number, number>>;
  } {
    return {
      scopeLoadMw: this.scopeLoad,
      scopeBudgetMw: this.scopeBudget,
      scopeFreeMilli: this.scopeFreeMilli,
      nodeLoadMw: this.nodeLoad,
      nodeBudgetMw: this.nodeBudget,
      nodeCpuFree: this.nodeCpuFree,
      nodeMemFree: this.nodeMemFree,
      nodeGpuFree: this.nodeGpuFree,
      nodeUp: this.nodeUp,
      classes: this.classList.map((c) => ({ key: c.key, members: c.members, resources: c.resources })),
      nodeClassKey: this.nodeClass.map((c) => (c === null ? null : c.key)),
      tenantUsedMilli: this.tenantUsedMilli,
      tenantUsedMw: this.tenantUsedMw,
      deploymentRacks: this.deploymentRacks,
    };
  }

  /** Disagreements between each class's power order and one rebuilt from scratch (for tests). */
  powerOrderProblems(): string[] {
    const out: string[] = [];
    for (const cls of this.classList) {
      const want = [...cls.members]
        .map((n) => ({ n, key: this.powerKeyOf(n) }))
        .sort((a, b) => a.key - b.key || a.n - b.n)
        .map((x) => x.n);
      const got = Array.from(cls.byPower.nodes.subarray(0, cls.byPower.size));
      if (want.join(',') !== got.join(',')) out.push(`class ${cls.key}: power order [${got}] should be [${want}]`);
      for (const n of got)
        if (this.nodePowerKey[n] !== this.powerKeyOf(n)) out.push(`node ${n}: stale power key ${this.nodePowerKey[n]}`);
    }
    return out;
  }

  /** The class key a node should have given its state (used by the invariant check too). */
  classKeyOf(n: number): string {
    const node = this.topology.nodes[n];
    return `${node.gpuProduct ?? ''}|${this.nodeGpuMem[n]}|${this.nodeLimitMin[n]}|${this.nodeLimitMax[n]}|${node.cpuMilli}|${node.memoryMiB}|${this.nodeCpuFree[n]}|${this.nodeMemFree[n]}|${this.nodeGpuFree[n].join(',')}`;
  }

  nodeNumber(nodeId: string): number {
    const n = this.topology.nodeIndex.get(nodeId);
    if (n === undefined) throw new PlacementInputError('unknown-node', 'nodeId', `unknown node "${String(nodeId)}"`);
    return n;
  }

  // ---------------------------------------------------------------- node conditions

  private readonly nodeConditions = new Map<number, { ready: boolean; schedulable: boolean }>();

  private nodeReady(n: number): boolean {
    return this.nodeConditions.get(n)?.ready ?? this.topology.nodes[n].ready !== false;
  }

  private nodeSchedulable(n: number): boolean {
    return this.nodeConditions.get(n)?.schedulable ?? this.topology.nodes[n].schedulable !== false;
  }

  // ---------------------------------------------------------------- placing

  /** Validates a request and checks its ids are new. */
  validateNew(request: ReplicaRequest): ValidReplica {
    const v = validateReplica(request, this.topology, this.tenantIds);
    if (this.replicas.has(v.request.id))
      throw new PlacementInputError('duplicate-id', 'id', `replica "${v.request.id}" is already placed`);
    v.pods.forEach((p, i) => {
      if (this.podOwners.has(p.request.id))
        throw new PlacementInputError('duplicate-id', `pods[${i}].id`, `pod "${p.request.id}" is already placed`);
    });
    return v;
  }

  resolveScoring(choice: ScoringChoice, fallback: Scoring): Scoring {
    const policy =
      choice.policy === undefined
        ? fallback.policy
        : typeof choice.policy === 'string'
          ? policyByName(choice.policy)
          : choice.policy;
    const ctx = choice.context ?? (choice.policy === undefined ? fallback.ctx : EMPTY_CONTEXT);
    if (!ctx || !Array.isArray(ctx.workload))
      throw new PlacementInputError('invalid-value', 'context.workload', 'must be an array');
    return { policy, ctx, explain: choice.explain ?? fallback.explain };
  }

  /** The scoring a choice resolves to, with this engine's default policy and workload. */
  scoringFor(choice: ScoringChoice): Scoring {
    return this.resolveScoring(choice, this.defaultScoring);
  }

  /** Whether the replica would be placed now; the state is unchanged afterwards. */
  wouldPlace(v: ValidReplica, sc: Scoring): boolean {
    return this.placementIfPlaced(v, sc) !== null;
  }

  /** Where the replica would be placed now (no explanation built), or null; the state is unchanged afterwards. */
  placementIfPlaced(v: ValidReplica, sc: Scoring): PodPlacement[] | null {
    const r = this.placeValid(v, sc.explain ? { ...sc, explain: false } : sc);
    if (!r.placed) return null;
    this.release(r.replicaId);
    return [...r.pods];
  }

  /** Free GPU share (milli) on a node, and under a scope (ready or not). */
  nodeFreeMilli(n: number): number {
    let free = 0;
    for (const f of this.nodeGpuFree[n]) free += f;
    return free;
  }

  scopeFreeMilliOf(s: number): number {
    return this.scopeFreeMilli[s];
  }

  /**
   * Whether the pod could fit on the node if the node were empty: up, product, GPU count
   * and memory, CPU and memory capacity (power and current load not considered).
   */
  couldEverHold(n: number, pod: ValidPod): boolean {
    if (!this.nodeUp[n]) return false;
    const node = this.topology.nodes[n];
    const d = pod.demand;
    if (node.cpuMilli < d.cpuMilli || node.memoryMiB < d.memoryMiB) return false;
    if (pod.totalMilli === 0) return true;
    if (node.gpuProduct === null || (pod.products !== null && !pod.products.has(node.gpuProduct))) return false;
    return node.gpus.length >= d.gpuCount && this.nodeGpuMem[n] >= pod.minGpuMemoryMiB;
  }

  /** Places a validated replica with a resolved scoring (spreading first, then without). */
  placeValid(v: ValidReplica, sc: Scoring): PlaceResult {
    this.useScoring(sc);
    const tenant = v.tenant;
    const quota = tenant === null ? undefined : this.tenantGpuQuotaMilli.get(tenant);
    const used = tenant === null ? 0 : (this.tenantUsedMilli.get(tenant) ?? 0);
    if (quota !== undefined && used + v.totalMilli > quota)
      return this.failure(v, sc, v.pods[0], { quotaMilli: quota - used });
    let spread = v.spread && v.deployment !== null ? (this.deploymentRacks.get(v.deployment) ?? null) : null;
    // A gang's own pods must not push each other out of racks while it is being placed.
    if (spread !== null && v.pods.length > 1) spread = new Map(spread);
    if (spread !== null && spread.size > 0) {
      const r = this.tryReplica(v, sc, spread);
      if (r !== null) return r;
    }
    const r = this.tryReplica(v, sc, null);
    if (r !== null) return r;
    return this.failure(v, sc, v.pods[0], {});
  }

  private failure(v: ValidReplica, sc: Scoring, pod: ValidPod, extra: { quotaMilli?: number }): PlaceResult {
    let explanation: Explanation;
    const N = this.topology.nodes.length;
    if (!sc.explain) {
      explanation = { totalNodes: N, podId: pod.request.id, reasons: [], message: `0/${N} nodes fit (not explained)` };
    } else if (extra.quotaMilli !== undefined) {
      explanation = explainUnschedulable(this.explainInput(pod, sc, v, 0, N), {
        quotaMilli: extra.quotaMilli,
        askedMilli: v.totalMilli,
      });
    } else {
      const first = explainUnschedulable(this.explainInput(pod, sc, v, 0, N), {});
      // Nodes the gang's first pod fits on failed on the topology: no scope around them holds all of it.
      const fitFirst = N - first.reasons.reduce((a, r) => a + r.nodes, 0);
      explanation =
        v.pods.length > 1 && fitFirst > 0
          ? {
              ...first,
              reasons: [...first.reasons, { reason: 'topology', nodes: fitFirst }],
              message: `${first.message}${first.reasons.length > 0 ? ', ' : ': '}${fitFirst} in no ${v.topology ?? 'cluster'} with room for the whole gang of ${v.pods.length} pods`,
            }
          : first;
    }
    return { placed: false, replicaId: v.request.id, explanation };
  }

  private explainInput(pod: ValidPod, sc: Scoring, v: ValidReplica, lo: number, hi: number): ExplainInput {
    const tenantRoomMw = this.tenantRoomMw(v.tenant);
    return {
      totalNodes: this.topology.nodes.length,
      lo,
      hi,
      pod,
      tenantRoomMw,
      classes: this.classList,
      fits: (cls) => this.classFit(cls as NodeClass, pod, sc) !== null,
      minNeedMw: (cls) => this.minNeedMw(cls as NodeClass, pod, tenantRoomMw),
      minNeedIgnoringTenantMw: (cls) => this.minNeedMw(cls as NodeClass, pod, Number.POSITIVE_INFINITY),
      powerRoom: (n) => this.powerRoom(n),
      scopeKind: (s) => this.topology.scopeKind[s],
    };
  }

  /** One attempt: the whole replica with the given spreading exclusions, or null (state unchanged). */
  private tryReplica(v: ValidReplica, sc: Scoring, spread: ReadonlyMap<number, number> | null): PlaceResult | null {
    const topo = this.topology;
    const N = topo.nodes.length;
    if (v.pods.length === 1 && v.topology === null) {
      const c = this.findBest(
        v.pods[0],
        sc,
        { lo: 0, hi: N, spread, anchors: null, gang: null, skip: null },
        this.tenantRoomMw(v.tenant),
      );
      if (c === null) return null;
      const placed = this.commit(v, v.pods[0], c);
      this.replicas.set(v.request.id, { valid: v, pods: [placed] });
      this.podOwners.set(placed.podId, v.request.id);
      return { placed: true, replicaId: v.request.id, pods: [this.toPodPlacement(placed)], score: c.score };
    }
    // A gang: the best node for its first pod anchors the topology scope; the rest go inside
    // it (see placeGangIn). If no assignment exists there, exclude that anchor and try the next.
    const anchors = new Set<number>();
    const minMw = v.pods.reduce((a, p) => a + toMilliwatts(p.cappedWatts ?? p.watts), 0);
    // Even every pod capped would exceed the tenant's watt quota: no anchor can take it.
    if (minMw > this.tenantRoomMw(v.tenant)) return null;
    const gang = v.topology === null ? null : { kind: v.topology, milli: v.totalMilli, milliwatts: minMw };
    const budget = { steps: MAX_GANG_SEARCH_STEPS };
    for (;;) {
      const c0 = this.findBest(
        v.pods[0],
        sc,
        { lo: 0, hi: N, spread, anchors, gang, skip: null },
        this.tenantRoomMw(v.tenant),
      );
      if (c0 === null) return null;
      const anchor = v.topology === null ? topo.root : this.ancestorOfKind(c0.node, v.topology);
      const got = this.placeGangIn(v, sc, spread, anchor, c0, budget);
      if (got !== null) {
        this.replicas.set(v.request.id, { valid: v, pods: got.placed });
        for (const p of got.placed) this.podOwners.set(p.podId, v.request.id);
        return {
          placed: true,
          replicaId: v.request.id,
          pods: got.placed.map((p) => this.toPodPlacement(p)),
          score: got.score,
        };
      }
      if (anchor === topo.root) return null;
      anchors.add(anchor);
    }
  }

  /**
   * Every pod of a gang inside one anchor scope, or null with the state unchanged. Depth-first
   * over the pods in order: each pod tries the anchor's nodes in the policy's order (best score,
   * then lowest node number, given the pods placed before it); when a later pod fits nowhere,
   * the previous pod moves to its next node. The first complete assignment in that order wins,
   * which is what the brute-force reference enumerates. The first try of every pod is the
   * greedy choice, so a gang that fits greedily costs no more than before. Each further node
   * search spends one step of the shared budget (MAX_GANG_SEARCH_STEPS).
   */
  private placeGangIn(
    v: ValidReplica,
    sc: Scoring,
    spread: ReadonlyMap<number, number> | null,
    anchor: number,
    first: Candidate,
    budget: { steps: number },
  ): { placed: PlacedPod[]; score: number } | null {
    const topo = this.topology;
    const lo = topo.scopeStart[anchor];
    const hi = topo.scopeEnd[anchor];
    const tried: Set<number>[] = v.pods.map(() => new Set<number>());
    // Per pod: states (node class, rack, node power) whose whole subtree failed. A node in the
    // same state is its mirror image for every later pod, so it fails the same way: skipped.
    const failed: Set<string>[] = v.pods.map(() => new Set<string>());
    const placed: PlacedPod[] = [];
    const scores: number[] = [];
    let pending: Candidate | null = first;
    let checkedAlone = false;
    let i = 0;
    while (i < v.pods.length) {
      let c: Candidate | null = null;
      if (pending !== null) {
        c = pending;
        pending = null;
      } else if (tried[i].size === 0 || budget.steps-- > 0) {
        c = this.findBest(
          v.pods[i],
          sc,
          { lo, hi, spread, anchors: null, gang: null, skip: tried[i].size === 0 ? null : tried[i] },
          this.tenantRoomMw(v.tenant),
        );
      }
      if (c === null && i > 0 && !checkedAlone) {
        // Before backtracking at all: every later pod must fit in the anchor by itself (placing
        // more never makes room), else no assignment exists. Then search again from the start.
        checkedAlone = true;
        for (let k = placed.length - 1; k >= 0; k--) this.uncommit(placed[k], v);
        placed.length = 0;
        scores.length = 0;
        for (let j = 1; j < v.pods.length; j++) {
          budget.steps--;
          const area = { lo, hi, spread, anchors: null, gang: null, skip: null };
          if (this.findBest(v.pods[j], sc, area, this.tenantRoomMw(v.tenant)) === null) return null;
        }
        tried.forEach((t) => t.clear());
        failed.forEach((f) => f.clear());
        pending = first;
        i = 0;
        continue;
      }
      if (c === null) {
        // Pod i fits nowhere after the pods before it: move pod i - 1 to its next node.
        tried[i].clear();
        failed[i].clear();
        if (i === 0 || budget.steps <= 0) break;
        i--;
        const back = placed.pop()!;
        this.uncommit(back, v);
        scores.pop();
        failed[i].add(this.mirrorKey(back.node));
        continue;
      }
      tried[i].add(c.node);
      if (failed[i].size > 0 && failed[i].has(this.mirrorKey(c.node))) continue;
      placed.push(this.commit(v, v.pods[i], c));
      scores.push(c.score);
      i++;
    }
    if (placed.length === v.pods.length) return { placed, score: scores.reduce((a, x) => a + x, 0) };
    for (let k = placed.length - 1; k >= 0; k--) this.uncommit(placed[k], v);
    return null;
  }

  /** Nodes with equal keys are interchangeable for a gang search: same free state, same enclosing scope, same node power. */
  private mirrorKey(n: number): string {
    return `${this.classKeyOf(n)}|${this.enclosingScope(n)}|${this.nodeLoad[n]}|${this.nodeBudget[n]}`;
  }

  /** The node's ancestor of that kind; the node's own scope when it has none (so it can still be excluded). */
  ancestorOfKind(n: number, kind: string): number {
    const path = this.topology.nodePath[n];
    for (let k = path.length - 1; k >= 0; k--) if (this.topology.scopeKind[path[k]] === kind) return path[k];
    return path[path.length - 1];
  }

  private tenantRoomMw(tenant: string | null): number {
    if (tenant === null) return Number.POSITIVE_INFINITY;
    const quota = this.tenantWattQuotaMw.get(tenant);
    return quota === undefined ? Number.POSITIVE_INFINITY : quota - (this.tenantUsedMw.get(tenant) ?? 0);
  }

  /** Switching policy or workload invalidates every cached class score. */
  private useScoring(sc: Scoring): void {
    const o = this.cacheOwner;
    if (o !== null && o.policy === sc.policy && o.ctx === sc.ctx) return;
    this.cacheOwner = sc;
    this.cacheGeneration++;
  }

  private staticFit(cls: NodeClass, pod: ValidPod): boolean {
    const d = pod.demand;
    if (cls.cpuFree < d.cpuMilli || cls.memFree < d.memoryMiB) return false;
    if (pod.totalMilli === 0) return true;
    if (d.gpuMilli === 1000 ? cls.wholeFree < d.gpuCount : cls.maxFree < d.gpuMilli) return false;
    if (cls.product === null) return false;
    if (pod.products !== null && !pod.products.has(cls.product)) return false;
    return cls.gpuMemoryMiB >= pod.minGpuMemoryMiB;
  }

  private capAllowed(limitMin: number, limitMax: number, pod: ValidPod): boolean {
    return pod.capLimitWatts !== null && pod.capLimitWatts >= limitMin && pod.capLimitWatts <= limitMax;
  }

  /** The policy's GPUs and (power-blind) score for a class, cached; null if it does not fit. */
  private classFit(cls: NodeClass, pod: ValidPod, sc: Scoring): ClassFit | null {
    if (cls.cacheGeneration !== this.cacheGeneration) {
      cls.cache.clear();
      cls.cacheGeneration = this.cacheGeneration;
    }
    let fit = cls.cache.get(pod.demandKey);
    if (fit === undefined) {
      fit = this.computeFit(cls.resources, pod, sc);
      // Workloads with many distinct pod shapes (traces) would grow every class's cache without bound.
      if (cls.cache.size >= MAX_CACHED_SHAPES) cls.cache.clear();
      cls.cache.set(pod.demandKey, fit);
    }
    return fit;
  }

  /** Resource fit of a pod on free resources, checked independently of the policy. */
  private computeFit(res: NodeResources, pod: ValidPod, sc: Scoring): ClassFit | null {
    const d = pod.demand;
    if (res.cpuFreeMilli < d.cpuMilli || res.memoryFreeMiB < d.memoryMiB) return null;
    let usable = 0;
    for (const f of res.gpuFreeMilli) if (f >= d.gpuMilli) usable++;
    if (d.gpuCount > usable) return null;
    const gpus = sc.policy.assignGpus(res, d, sc.ctx);
    if (gpus === null) return null;
    checkAssignment(sc.policy.name, res, d, gpus);
    if (sc.policy.powerAware) {
      const bounds = sc.policy.scoreBounds?.(res, d, gpus, sc.ctx);
      return { gpus, score: bounds === undefined ? Number.POSITIVE_INFINITY : bounds[1] };
    }
    const score = sc.policy.score(res, d, gpus, sc.ctx, NO_POWER);
    if (!Number.isFinite(score)) throw new PolicyContractError(`policy ${sc.policy.name} returned a non-finite score`);
    return { gpus, score };
  }

  /** Fit of a pod on one node, evaluated from scratch (used by explanations and preemption). */
  fitOnNode(n: number, pod: ValidPod, sc: Scoring): { gpus: readonly number[] } | null {
    const cls = this.nodeClass[n];
    if (cls === null || !this.staticFit(cls, pod)) return null;
    return this.classFit(cls, pod, sc);
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

  /** Which watts the pod runs at on this node (uncapped when it fits, else capped), or null. */
  private powerChoice(
    n: number,
    pod: ValidPod,
    tenantRoomMw: number,
  ): { milliwatts: number; limit: number | null } | null {
    const { roomMw } = this.powerRoom(n);
    const room = Math.min(roomMw, tenantRoomMw);
    const w = toMilliwatts(pod.watts);
    if (pod.uncapped && w <= room) return { milliwatts: w, limit: null };
    if (pod.cappedWatts !== null && this.capAllowed(this.nodeLimitMin[n], this.nodeLimitMax[n], pod)) {
      const c = toMilliwatts(pod.cappedWatts);
      if (c <= room) return { milliwatts: c, limit: pod.capLimitWatts };
    }
    return null;
  }

  /** Best node for one pod in an area: highest score, lowest node number on ties; null if none. */
  private findBest(pod: ValidPod, sc: Scoring, area: SearchArea, tenantRoomMw: number): Candidate | null {
    const cands: { cls: NodeClass; fit: ClassFit }[] = [];
    for (const cls of this.classList) {
      if (!this.staticFit(cls, pod)) continue;
      const fit = this.classFit(cls, pod, sc);
      if (fit !== null) cands.push({ cls, fit });
    }
    if (cands.length === 0) return null;
    if (sc.policy.powerAware) return this.findBestPowerAware(pod, sc, area, tenantRoomMw, cands);
    cands.sort((a, b) => b.fit.score - a.fit.score);
    for (let i = 0; i < cands.length;) {
      const score = cands[i].fit.score;
      let best = -1;
      let bestFit: ClassFit | null = null;
      let j = i;
      for (; j < cands.length && cands[j].fit.score === score; j++) {
        const n = this.firstFeasible(cands[j].cls, pod, area, best >= 0 ? best : area.hi, tenantRoomMw);
        if (n >= 0) {
          best = n;
          bestFit = cands[j].fit;
        }
      }
      if (best >= 0 && bestFit !== null) {
        const p = this.powerChoice(best, pod, tenantRoomMw)!;
        return { node: best, gpus: bestFit.gpus, score, milliwatts: p.milliwatts, powerLimitWatts: p.limit };
      }
      i = j;
    }
    return null;
  }

  /** The smallest power need that could work for this pod in a class (capped if allowed), or Infinity. */
  private minNeedMw(cls: NodeClass, pod: ValidPod, tenantRoomMw: number): number {
    const w = toMilliwatts(pod.watts);
    let need = pod.uncapped && w <= tenantRoomMw ? w : Number.POSITIVE_INFINITY;
    if (pod.cappedWatts !== null && this.capAllowed(cls.limitMin, cls.limitMax, pod)) {
      const c = toMilliwatts(pod.cappedWatts);
      if (c <= tenantRoomMw) need = Math.min(need, c);
    }
    return need;
  }

  /**
   * Lowest-numbered member of cls in [area.lo, hi) with power for the pod, or -1. A member
   * blocked by a scope (no headroom, excluded) lets the walk jump past that whole scope.
   */
  private firstFeasible(cls: NodeClass, pod: ValidPod, area: SearchArea, hi: number, tenantRoomMw: number): number {
    const need = this.minNeedMw(cls, pod, tenantRoomMw);
    if (need === Number.POSITIVE_INFINITY) return -1;
    const m = cls.members;
    let i = lowerBound(m, area.lo);
    while (i < m.length) {
      const n = m[i];
      if (n >= hi) return -1;
      const blocked = this.blockedAt(n, need, area);
      if (blocked === -1) return n;
      i = blocked === -2 ? i + 1 : lowerBound(m, this.topology.scopeEnd[blocked], i + 1);
    }
    return -1;
  }

  /** -1 if the node can take `need` milliwatts in this area; the blocking scope; or -2 if the node itself blocks. */
  private blockedAt(n: number, need: number, area: SearchArea): number {
    if (area.skip !== null && area.skip.has(n)) return -2;
    const path = this.topology.nodePath[n];
    // Also leaves the node's tightest headroom and where it is in scanRoomMw/scanScope (no allocation).
    let room = this.nodeBudget[n] - this.nodeLoad[n];
    let at = -1;
    let gangOpen = area.gang !== null;
    for (let k = 0; k < path.length; k++) {
      const s = path[k];
      const r = this.scopeBudget[s] - this.scopeLoad[s];
      if (r < need) return s;
      if (r < room) {
        room = r;
        at = s;
      }
      if (area.spread !== null && area.spread.has(s)) return s;
      if (area.anchors !== null && area.anchors.has(s)) return s;
      // A gang's anchor and every scope above it carry all of its watts; the anchor all its GPUs.
      if (gangOpen) {
        if (r < area.gang!.milliwatts) return s;
        if (this.topology.scopeKind[s] === area.gang!.kind) {
          if (this.scopeFreeMilli[s] < area.gang!.milli) return s;
          gangOpen = false;
        }
      }
    }
    this.scanRoomMw = room;
    this.scanScope = at;
    return this.nodeBudget[n] - this.nodeLoad[n] < need ? -2 : -1;
  }

  private scanRoomMw = 0;
  private scanScope = -1;

  /**
   * A power-aware policy scores each feasible node with its own PowerView. Classes are
   * visited by their highest possible score (scoreBounds, cached); once that is below the
   * best score found, no node of the remaining classes can win, not even on a tie.
   */
  private findBestPowerAware(
    pod: ValidPod,
    sc: Scoring,
    area: SearchArea,
    tenantRoomMw: number,
    cands: { cls: NodeClass; fit: ClassFit }[],
  ): Candidate | null {
    let best: Candidate | null = null;
    cands.sort((a, b) => b.fit.score - a.fit.score);
    // The power order covers the whole cluster; a narrow area (a gang's scope, one node) is
    // cheaper to walk by node number.
    const ordered =
      sc.policy.powerAware === 'enclosing-scope' && area.lo === 0 && area.hi >= this.topology.nodes.length;
    for (const { cls, fit } of cands) {
      if (best !== null && fit.score < best.score) break;
      const need = this.minNeedMw(cls, pod, tenantRoomMw);
      if (need === Number.POSITIVE_INFINITY) continue;
      if (ordered) {
        best = this.bestByPower(cls, fit, pod, sc, area, need, tenantRoomMw, best);
        continue;
      }
      const m = cls.members;
      // Members of one class differ only in their PowerView; neighbours often share it, so
      // the last view's score is reused (the policy is a pure function of its arguments).
      let lastRoom = Number.NaN;
      let lastBudget = Number.NaN;
      let lastMw = Number.NaN;
      let lastEnclosingLoad = Number.NaN;
      let lastEnclosingBudget = Number.NaN;
      let lastScore = 0;
      const w = toMilliwatts(pod.watts);
      const capOk = pod.cappedWatts !== null && this.capAllowed(cls.limitMin, cls.limitMax, pod);
      const c = capOk ? toMilliwatts(pod.cappedWatts!) : Number.POSITIVE_INFINITY;
      let i = lowerBound(m, area.lo);
      while (i < m.length && m[i] < area.hi) {
        const n = m[i];
        const blocked = this.blockedAt(n, need, area);
        if (blocked >= 0) {
          i = lowerBound(m, this.topology.scopeEnd[blocked], i + 1);
          continue;
        }
        i++;
        if (blocked === -2) continue;
        // Same rule as powerChoice: uncapped where it fits, else capped.
        const roomMw = this.scanRoomMw;
        const room = Math.min(roomMw, tenantRoomMw);
        const uncapped = pod.uncapped && w <= room;
        const mw = uncapped ? w : c <= room ? c : -1;
        if (mw < 0) continue;
        const budgetMw = this.scanScope < 0 ? this.nodeBudget[n] : this.scopeBudget[this.scanScope];
        const e = this.enclosingScope(n);
        let score = lastScore;
        if (
          roomMw !== lastRoom ||
          budgetMw !== lastBudget ||
          mw !== lastMw ||
          this.scopeLoad[e] !== lastEnclosingLoad ||
          this.scopeBudget[e] !== lastEnclosingBudget
        ) {
          score = sc.policy.score(
            cls.resources,
            pod.demand,
            fit.gpus,
            sc.ctx,
            this.viewOf(n, roomMw, this.scanScope, mw),
          );
          if (!Number.isFinite(score))
            throw new PolicyContractError(`policy ${sc.policy.name} returned a non-finite score`);
          lastRoom = roomMw;
          lastBudget = budgetMw;
          lastMw = mw;
          lastEnclosingLoad = this.scopeLoad[e];
          lastEnclosingBudget = this.scopeBudget[e];
          lastScore = score;
        }
        if (best === null || score > best.score || (score === best.score && n < best.node))
          best = {
            node: n,
            gpus: fit.gpus,
            score,
            milliwatts: mw,
            powerLimitWatts: uncapped ? null : pod.capLimitWatts,
          };
      }
    }
    return best;
  }

  /**
   * For an 'enclosing-scope' policy: the best member of one class, merged into `best`. The
   * score never increases along the class's byPower order, so within a group of equal keys the
   * first feasible member (lowest number) is the group's best, and once a group scores below
   * the best found, no later group can win, not even on a tie. Groups scoring equal to the best
   * (distinct keys can round to one score) are searched for a lower node number.
   */
  private bestByPower(
    cls: NodeClass,
    fit: ClassFit,
    pod: ValidPod,
    sc: Scoring,
    area: SearchArea,
    need: number,
    tenantRoomMw: number,
    best: Candidate | null,
  ): Candidate | null {
    const order = cls.byPower;
    const w = toMilliwatts(pod.watts);
    const capOk = pod.cappedWatts !== null && this.capAllowed(cls.limitMin, cls.limitMax, pod);
    const c = capOk ? toMilliwatts(pod.cappedWatts!) : Number.POSITIVE_INFINITY;
    for (let i = 0; i < order.size;) {
      const key = this.nodePowerKey[order.nodes[i]];
      const end = this.powerGroupEnd(order, key, i + 1);
      // Every member of the group scores the same (the policy reads only this key).
      let groupScore = Number.POSITIVE_INFINITY;
      if (best !== null) {
        groupScore = this.scored(sc, cls, pod, fit, this.powerView(order.nodes[i], w));
        if (groupScore < best.score) break;
      }
      for (let k = i; k < end; k++) {
        const n = order.nodes[k];
        if (best !== null && groupScore === best.score && n >= best.node) break;
        if (this.blockedAt(n, need, area) !== -1) continue;
        const room = Math.min(this.scanRoomMw, tenantRoomMw);
        const uncapped = pod.uncapped && w <= room;
        const mw = uncapped ? w : c <= room ? c : -1;
        if (mw < 0) continue;
        const score = this.scored(sc, cls, pod, fit, this.viewOf(n, this.scanRoomMw, this.scanScope, mw));
        if (best === null || score > best.score || (score === best.score && n < best.node))
          best = {
            node: n,
            gpus: fit.gpus,
            score,
            milliwatts: mw,
            powerLimitWatts: uncapped ? null : pod.capLimitWatts,
          };
        break;
      }
      i = end;
    }
    return best;
  }

  private scored(sc: Scoring, cls: NodeClass, pod: ValidPod, fit: ClassFit, view: PowerView): number {
    const score = sc.policy.score(cls.resources, pod.demand, fit.gpus, sc.ctx, view);
    if (!Number.isFinite(score)) throw new PolicyContractError(`policy ${sc.policy.name} returned a non-finite score`);
    return score;
  }

  powerView(n: number, podMilliwatts: number): PowerView {
    const { roomMw, scope } = this.powerRoom(n);
    return this.viewOf(n, roomMw, scope, podMilliwatts);
  }

  /** A node's PowerView from its tightest headroom (and where it is) and the pod's watts. */
  private viewOf(n: number, roomMw: number, scope: number, podMilliwatts: number): PowerView {
    const e = this.enclosingScope(n);
    return {
      headroomWatts: roomMw / 1000,
      budgetWatts: (scope < 0 ? this.nodeBudget[n] : this.scopeBudget[scope]) / 1000,
      podWatts: podMilliwatts / 1000,
      enclosingHeadroomWatts: (this.scopeBudget[e] - this.scopeLoad[e]) / 1000,
      enclosingBudgetWatts: this.scopeBudget[e] / 1000,
    };
  }

  // ---------------------------------------------------------------- state changes

  private commit(v: ValidReplica, pod: ValidPod, c: Candidate): PlacedPod {
    const placed: PlacedPod = {
      podId: pod.request.id,
      replicaId: v.request.id,
      node: c.node,
      gpus: [...c.gpus],
      milli: pod.demand.gpuMilli,
      cpuMilli: pod.demand.cpuMilli,
      memoryMiB: pod.demand.memoryMiB,
      milliwatts: c.milliwatts,
      powerLimitWatts: c.powerLimitWatts,
    };
    this.apply(placed, v, +1);
    return placed;
  }

  private uncommit(p: PlacedPod, v: ValidReplica): void {
    this.apply(p, v, -1);
  }

  /** Adds (+1) or removes (-1) a pod's resources and power everywhere they are counted. */
  private apply(p: PlacedPod, v: ValidReplica, sign: 1 | -1): void {
    const n = p.node;
    const up = this.nodeUp[n] === 1;
    if (up) this.leaveClass(n);
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
    if (v.tenant !== null) {
      bump(this.tenantUsedMilli, v.tenant, sign * milli);
      bump(this.tenantUsedMw, v.tenant, sign * p.milliwatts);
    }
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
    if (p.milliwatts !== 0) this.rekeyOwnNodes(this.enclosingScope(n));
    if (up) this.joinClass(n);
  }

  /** The lowest scope a node hangs under (usually its rack). */
  private enclosingScope(n: number): number {
    const path = this.topology.nodePath[n];
    return path[path.length - 1];
  }

  /** Headroom share of the node's enclosing scope, computed exactly as policies see it. */
  private powerKeyOf(n: number): number {
    const s = this.enclosingScope(n);
    return headroomShare((this.scopeBudget[s] - this.scopeLoad[s]) / 1000, this.scopeBudget[s] / 1000);
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

  /** First position after i whose key is above `key` (end of an equal-key group). */
  private powerGroupEnd(order: PowerOrder, key: number, i: number): number {
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

  /** After a scope's load or budget changed: moves its own nodes whose key changed (stored keys locate them). */
  private rekeyOwnNodes(s: number): void {
    for (const m of this.scopeOwnNodes[s]) {
      const cls = this.nodeClass[m];
      if (cls === null || this.powerKeyOf(m) === this.nodePowerKey[m]) continue;
      this.removeByPower(cls, m);
      this.insertByPower(cls, m);
    }
  }

  private joinClass(n: number): void {
    const key = this.classKeyOf(n);
    let cls = this.classes.get(key);
    if (!cls) {
      cls = {
        key,
        listIndex: this.classList.length,
        resources: Object.freeze(this.nodeResources(n)),
        product: this.topology.nodes[n].gpuProduct,
        gpuMemoryMiB: this.nodeGpuMem[n],
        limitMin: this.nodeLimitMin[n],
        limitMax: this.nodeLimitMax[n],
        members: [],
        byPower: { nodes: new Int32Array(8), size: 0 },
        cpuFree: this.nodeCpuFree[n],
        memFree: this.nodeMemFree[n],
        wholeFree: this.nodeGpuFree[n].reduce((a, f) => a + (f === 1000 ? 1 : 0), 0),
        maxFree: this.nodeGpuFree[n].reduce((a, f) => Math.max(a, f), 0),
        cacheGeneration: this.cacheGeneration,
        cache: new Map(),
      };
      this.classes.set(key, cls);
      this.classList.push(cls);
    }
    const m = cls.members;
    m.splice(lowerBound(m, n), 0, n);
    this.insertByPower(cls, n);
    this.nodeClass[n] = cls;
  }

  private leaveClass(n: number): void {
    const cls = this.nodeClass[n];
    if (cls === null) return;
    const m = cls.members;
    m.splice(lowerBound(m, n), 1);
    this.removeByPower(cls, n);
    this.nodeClass[n] = null;
    if (m.length === 0) {
      this.classes.delete(cls.key);
      const last = this.classList.pop()!;
      if (last !== cls) {
        this.classList[cls.listIndex] = last;
        last.listIndex = cls.listIndex;
      }
    }
  }

  private toPodPlacement(p: PlacedPod): PodPlacement {
    return {
      podId: p.podId,
      nodeId: this.topology.nodes[p.node].id,
      gpuIndices: [...p.gpus],
      gpuMilli: p.milli,
      powerLimitWatts: p.powerLimitWatts,
      predictedWatts: p.milliwatts / 1000,
    };
  }

  /** Pods placed on a node (read-only view for preemption and invariant checks). */
  podsOn(n: number): readonly PlacedPod[] {
    return this.nodePods[n];
  }

  /** Removes a placed replica's pods from the state without forgetting it; restore() undoes it exactly. */
  suspend(replicaId: string): void {
    const r = this.replicas.get(replicaId)!;
    for (let i = r.pods.length - 1; i >= 0; i--) this.uncommit(r.pods[i], r.valid);
  }

  restore(replicaId: string): void {
    const r = this.replicas.get(replicaId)!;
    for (const p of r.pods) this.apply(p, r.valid, +1);
  }

  private adoptValidated(existing: ExistingPlacement, field: string): void {
    if (!existing || typeof existing !== 'object')
      throw new PlacementInputError('invalid-placement', field, 'must be an object');
    let v: ValidReplica;
    try {
      v = this.validateNew(existing.replica);
    } catch (e) {
      if (e instanceof PlacementInputError)
        throw new PlacementInputError(e.code, `${field}.replica.${e.field}`, e.message);
      throw e;
    }
    if (!Array.isArray(existing.pods) || existing.pods.length !== v.pods.length)
      throw new PlacementInputError('invalid-placement', `${field}.pods`, 'needs one placement per pod of the replica');
    // Check everything against a scratch copy of the free state before touching anything.
    const scratch = new Map<number, { gpu: Int32Array; cpu: number; mem: number }>();
    const placed: PlacedPod[] = [];
    existing.pods.forEach((pp, i) => {
      const f = `${field}.pods[${i}]`;
      const pod = v.pods.find((p) => p.request.id === pp?.podId);
      if (!pod)
        throw new PlacementInputError('invalid-placement', `${f}.podId`, `not a pod of replica "${v.request.id}"`);
      const n = this.topology.nodeIndex.get(pp.nodeId);
      if (n === undefined)
        throw new PlacementInputError('unknown-node', `${f}.nodeId`, `unknown node "${String(pp.nodeId)}"`);
      let st = scratch.get(n);
      if (!st)
        scratch.set(
          n,
          (st = { gpu: Int32Array.from(this.nodeGpuFree[n]), cpu: this.nodeCpuFree[n], mem: this.nodeMemFree[n] }),
        );
      const d = pod.demand;
      const gpus = pp.gpuIndices;
      const node = this.topology.nodes[n];
      if (
        !Array.isArray(gpus) ||
        gpus.length !== (d.gpuMilli === 0 ? 0 : d.gpuCount) ||
        new Set(gpus).size !== gpus.length
      )
        throw new PlacementInputError(
          'invalid-placement',
          `${f}.gpuIndices`,
          `needs ${d.gpuCount} distinct GPU indices`,
        );
      if (d.gpuCount > 0 && (node.gpuProduct === null || (pod.products !== null && !pod.products.has(node.gpuProduct))))
        throw new PlacementInputError('invalid-placement', `${f}.nodeId`, 'node has no allowed GPU product');
      for (const g of gpus) {
        if (!Number.isInteger(g) || g < 0 || g >= st.gpu.length)
          throw new PlacementInputError('invalid-placement', `${f}.gpuIndices`, `no GPU ${g} on node ${node.id}`);
        if (st.gpu[g] < d.gpuMilli)
          throw new PlacementInputError(
            'invalid-placement',
            `${f}.gpuIndices`,
            `GPU ${g} on node ${node.id} has only ${st.gpu[g]} milli free`,
          );
        st.gpu[g] -= d.gpuMilli;
      }
      st.cpu -= d.cpuMilli;
      st.mem -= d.memoryMiB;
      if (st.cpu < 0 || st.mem < 0)
        throw new PlacementInputError(
          'invalid-placement',
          `${f}.nodeId`,
          `not enough CPU or memory on node ${node.id}`,
        );
      const watts = pp.predictedWatts;
      if (typeof watts !== 'number' || !Number.isFinite(watts) || watts < 0)
        throw new PlacementInputError('invalid-value', `${f}.predictedWatts`, 'must be a finite number >= 0');
      const limit = pp.powerLimitWatts ?? null;
      if (limit !== null && (typeof limit !== 'number' || !Number.isFinite(limit) || limit < 0))
        throw new PlacementInputError('invalid-value', `${f}.powerLimitWatts`, 'must be a finite number >= 0 or null');
      placed.push({
        podId: pod.request.id,
        replicaId: v.request.id,
        node: n,
        gpus: [...gpus],
        milli: d.gpuMilli,
        cpuMilli: d.cpuMilli,
        memoryMiB: d.memoryMiB,
        milliwatts: toMilliwatts(watts),
        powerLimitWatts: limit,
      });
    });
    if (new Set(placed.map((p) => p.podId)).size !== placed.length)
      throw new PlacementInputError('invalid-placement', `${field}.pods`, 'a pod is placed twice');
    for (const p of placed) this.apply(p, v, +1);
    this.replicas.set(v.request.id, { valid: v, pods: placed });
    for (const p of placed) this.podOwners.set(p.podId, v.request.id);
  }
}

function bump(map: Map<string, number>, key: string, by: number): void;
function bump(map: Map<number, number>, key: number, by: number): void;
function bump<K>(map: Map<K, number>, key: K, by: number): void {
  const v = (map.get(key) ?? 0) + by;
  if (v === 0) map.delete(key);
  else map.set(key, v);
}

/** A policy's GPUs must be distinct, in range, enough, and each with room: the engine never trusts them blindly. */
function checkAssignment(
  policy: string,
  res: NodeResources,
  d: { gpuCount: number; gpuMilli: number },
  gpus: readonly number[],
): void {
  const want = d.gpuMilli === 0 ? 0 : d.gpuCount;
  let ok = Array.isArray(gpus) && gpus.length === want && new Set(gpus).size === gpus.length;
  if (ok)
    for (const g of gpus)
      if (!Number.isInteger(g) || g < 0 || g >= res.gpuFreeMilli.length || res.gpuFreeMilli[g] < d.gpuMilli) ok = false;
  if (!ok)
    throw new PolicyContractError(
      `policy ${policy} assigned GPUs [${String(gpus)}] that do not fit ${want} x ${d.gpuMilli} milli`,
    );
}
