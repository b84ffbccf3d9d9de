import { PlacementInputError } from '../errors';
import { explainUnschedulable, unexplained } from '../explain';
import { gangDemand } from '../filters/gang-anchor';
import { fixedGpuFacts, type NodeFacts } from '../filters/node-facts';
import { stateStatus } from '../filters/pipeline';
import { FITS, type FilterStatus } from '../filters/status';
import { tenantGpuQuotaFilter } from '../filters/tenant-quota';
import type { ClusterInput, PlaceResult, PodPlacement, ReplicaRequest } from '../model';
import type { PolicyContext, ScoringPolicy } from '../policies/policy';
import { policyByName } from '../policies/registry';
import { validateReplica, type ValidPod, type ValidReplica } from '../request';
import type { Topology } from '../topology';
import { ClusterState, type PlacedPod } from './cluster-state';
import { placeGang } from './gang-search';
import { NodeSearch, type Candidate, type Scoring } from './search';

export interface ScoringChoice {
  /** A registered policy name or a policy object; defaults to the engine's policy. */
  readonly policy?: string | ScoringPolicy;
  readonly context?: PolicyContext;
  /** false skips building the explanation of a failed placement (replays that only count). Default true. */
  readonly explain?: boolean;
}

const EMPTY_CONTEXT: PolicyContext = { workload: [] };

/**
 * Everything behind the PlacementEngine facade: the state, the search, and placing a whole
 * replica (spreading first, then without; a gang through gang-search.ts). Preemption,
 * invariant checks and tests use it directly through engineCore(); nothing else should.
 */
export class EngineCore {
  readonly st: ClusterState;
  readonly search: NodeSearch;
  readonly defaultScoring: Scoring;
  /** Each node's facts as if it were empty and up, built on first use (for couldEverHold). */
  private readonly emptyFacts: (NodeFacts | undefined)[] = [];

  constructor(cluster: ClusterInput, scoring: ScoringChoice, fallback: Scoring) {
    this.st = new ClusterState(cluster);
    this.search = new NodeSearch(this.st);
    this.defaultScoring = resolveScoring(scoring, fallback);
  }

  get topology(): Topology {
    return this.st.topology;
  }

  /** The scoring a choice resolves to, with this engine's default policy and workload. */
  scoringFor(choice: ScoringChoice): Scoring {
    return resolveScoring(choice, this.defaultScoring);
  }

  /** Validates a request and checks its ids are new. */
  validateNew(request: ReplicaRequest): ValidReplica {
    const v = validateReplica(request, this.st.topology, this.st.tenants.ids);
    if (this.st.replicas.has(v.request.id))
      throw new PlacementInputError('duplicate-id', 'id', `replica "${v.request.id}" is already placed`);
    v.pods.forEach((p, i) => {
      if (this.st.podOwners.has(p.request.id))
        throw new PlacementInputError('duplicate-id', `pods[${i}].id`, `pod "${p.request.id}" is already placed`);
    });
    return v;
  }

  /** Places a validated replica with a resolved scoring (spreading first, then without). */
  placeValid(v: ValidReplica, sc: Scoring): PlaceResult {
    this.search.useScoring(sc);
    const tenants = this.st.tenants;
    const quota = tenantGpuQuotaFilter(tenants.usedMilliOf(v.tenant), tenants.gpuQuotaMilliOf(v.tenant), v.totalMilli);
    if (quota !== FITS) return this.failure(v, sc, quota);
    let spread = v.spread && v.deployment !== null ? (this.st.deploymentRacks.get(v.deployment) ?? null) : null;
    // A gang's own pods must not push each other out of racks while it is being placed.
    if (spread !== null && v.pods.length > 1) spread = new Map(spread);
    if (spread !== null && spread.size > 0) {
      const r = this.tryReplica(v, sc, spread);
      if (r !== null) return r;
    }
    return this.tryReplica(v, sc, null) ?? this.failure(v, sc, FITS);
  }

  /** Where the replica would be placed now (no explanation built), or null; the state is unchanged afterwards. */
  placementIfPlaced(v: ValidReplica, sc: Scoring): PodPlacement[] | null {
    const r = this.placeValid(v, sc.explain ? { ...sc, explain: false } : sc);
    if (!r.placed) return null;
    this.st.forget(r.replicaId);
    return [...r.pods];
  }

  /** Removes a placed replica's pods from the state without forgetting it; restore() undoes it exactly. */
  suspend(replicaId: string): void {
    const r = this.st.replicas.get(replicaId)!;
    for (let i = r.pods.length - 1; i >= 0; i--) this.st.apply(r.pods[i], r.valid, -1);
  }

  restore(replicaId: string): void {
    const r = this.st.replicas.get(replicaId)!;
    for (const p of r.pods) this.st.apply(p, r.valid, +1);
  }

  /** Whether the pod could fit on the node if the node were empty (the state filters; power and load not considered). */
  couldEverHold(n: number, pod: ValidPod): boolean {
    if (!this.st.nodeUp[n]) return false;
    let facts = this.emptyFacts[n];
    if (facts === undefined) {
      const node = this.st.topology.nodes[n];
      facts = this.emptyFacts[n] = {
        up: true,
        product: node.gpuProduct,
        ...fixedGpuFacts(node),
        resources: {
          gpuProduct: node.gpuProduct ?? '',
          gpuFreeMilli: node.gpus.map(() => 1000),
          cpuFreeMilli: node.cpuMilli,
          memoryFreeMiB: node.memoryMiB,
          cpuCapacityMilli: node.cpuMilli,
          memoryCapacityMiB: node.memoryMiB,
        },
        wholeFreeGpus: node.gpus.length,
        maxFreeMilli: node.gpus.length > 0 ? 1000 : 0,
      };
    }
    return stateStatus(pod, facts) === FITS;
  }

  commit(v: ValidReplica, pod: ValidPod, c: Candidate): PlacedPod {
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
    this.st.apply(placed, v, +1);
    return placed;
  }

  /** One attempt: the whole replica with the given spreading exclusions, or null (state unchanged). */
  private tryReplica(v: ValidReplica, sc: Scoring, spread: ReadonlyMap<number, number> | null): PlaceResult | null {
    let pods: PlacedPod[];
    let score: number;
    if (v.pods.length === 1 && v.topology === null) {
      const area = { lo: 0, hi: this.st.topology.nodes.length, spread, anchors: null, gang: null, skip: null };
      const c = this.search.findBest(v.pods[0], sc, area, this.st.tenants.roomMw(v.tenant));
      if (c === null) return null;
      pods = [this.commit(v, v.pods[0], c)];
      score = c.score;
    } else {
      const got = placeGang(this, v, sc, spread);
      if (got === null) return null;
      ({ placed: pods, score } = got);
    }
    this.st.record(v, pods);
    return { placed: true, replicaId: v.request.id, pods: pods.map((p) => this.st.toPodPlacement(p)), score };
  }

  private failure(v: ValidReplica, sc: Scoring, replica: FilterStatus): PlaceResult {
    const st = this.st;
    const N = st.topology.nodes.length;
    const pod = v.pods[0];
    const explanation = !sc.explain
      ? unexplained(N, pod.request.id)
      : explainUnschedulable(
          {
            totalNodes: N,
            pod,
            gang: v.pods.length > 1 ? gangDemand(v) : null,
            tenantRoomMw: st.tenants.roomMw(v.tenant),
            classes: st.classes.list,
            policyGpus: (cls) => this.search.classFit(cls, pod, sc)?.gpus ?? null,
            powerRoom: (n) => st.powerRoom(n),
            scopeKind: (s) => st.topology.scopeKind[s],
          },
          replica,
        );
    return { placed: false, replicaId: v.request.id, explanation };
  }
}

function resolveScoring(choice: ScoringChoice, fallback: Scoring): Scoring {
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
