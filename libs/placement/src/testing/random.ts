import fc from 'fast-check';
import type { PlacementEngine } from '../engine';
import { PlacementInputError } from '../errors';
import type { ClusterInput, GangTopology, NodeInput, PodRequest, ReplicaRequest, ScopeInput } from '../model';

/**
 * fast-check arbitraries for small random clusters and request streams: few nodes, tight
 * and loose budgets, two products, CPU that can bind, tenants with quotas. Small on
 * purpose, so the brute-force reference stays cheap and ties are frequent.
 */

export const arbCluster: fc.Arbitrary<ClusterInput> = fc
  .record({
    halls: fc.integer({ min: 1, max: 2 }),
    rows: fc.integer({ min: 1, max: 2 }),
    racks: fc.integer({ min: 1, max: 3 }),
    nodes: fc.array(
      fc.record({
        gpus: fc.constantFrom(0, 2, 4, 8),
        product: fc.constantFrom('A', 'B'),
        memory: fc.constantFrom(40_000, 80_000),
        cpu: fc.constantFrom(16_000, 64_000),
        maxWatts: fc.constantFrom(2_000, 6_000),
        down: fc.integer({ min: 0, max: 9 }),
        limitMin: fc.constantFrom(100, 300),
      }),
      { minLength: 12, maxLength: 12 },
    ),
    perRack: fc.integer({ min: 1, max: 3 }),
    rackWatts: fc.constantFrom(3_000, 8_000, 1e9),
    rowWatts: fc.constantFrom(6_000, 20_000, 1e9),
    hallWatts: fc.constantFrom(10_000, 1e9),
    siteWatts: fc.constantFrom(15_000, 1e9),
    gpuQuota: fc.constantFrom(4, 12, null),
    wattQuota: fc.constantFrom(3_000, 10_000, null),
  })
  .map((o) => {
    const scopes: ScopeInput[] = [{ id: 'site', kind: 'site', parentId: null, capacityWatts: o.siteWatts }];
    const nodes: NodeInput[] = [];
    let k = 0;
    for (let h = 0; h < o.halls; h++) {
      scopes.push({ id: `h${h}`, kind: 'hall', parentId: 'site', capacityWatts: o.hallWatts, oversubscription: 1.2 });
      for (let r = 0; r < o.rows; r++) {
        scopes.push({ id: `h${h}r${r}`, kind: 'row', parentId: `h${h}`, capacityWatts: o.rowWatts });
        for (let q = 0; q < o.racks; q++) {
          const rack = `h${h}r${r}k${q}`;
          scopes.push({ id: rack, kind: 'rack', parentId: `h${h}r${r}`, capacityWatts: o.rackWatts });
          for (let i = 0; i < o.perRack; i++) {
            const spec = o.nodes[k % o.nodes.length];
            nodes.push({
              id: `${rack}n${i}`,
              scopeId: rack,
              cpuMilli: spec.cpu,
              memoryMiB: 262_144,
              idleWatts: 300,
              maxWatts: spec.maxWatts,
              ready: spec.down !== 0,
              gpuProduct: spec.gpus === 0 ? null : spec.product,
              gpus: Array.from({ length: spec.gpus }, () => ({
                memoryMiB: spec.memory,
                tdpWatts: 700,
                minLimitWatts: spec.limitMin,
                maxLimitWatts: 700,
              })),
            });
            k++;
          }
        }
      }
    }
    // Every cluster has at least one 8-GPU node of product A so that any valid request is valid here.
    nodes.push({
      id: 'anchor',
      scopeId: 'h0r0k0',
      cpuMilli: 64_000,
      memoryMiB: 262_144,
      idleWatts: 300,
      maxWatts: 6_000,
      gpuProduct: 'A',
      gpus: Array.from({ length: 8 }, () => ({
        memoryMiB: 80_000,
        tdpWatts: 700,
        minLimitWatts: 100,
        maxLimitWatts: 700,
      })),
    });
    nodes.push({
      id: 'anchorB',
      scopeId: 'h0r0k0',
      cpuMilli: 64_000,
      memoryMiB: 262_144,
      idleWatts: 300,
      maxWatts: 6_000,
      gpuProduct: 'B',
      gpus: Array.from({ length: 2 }, () => ({
        memoryMiB: 40_000,
        tdpWatts: 700,
        minLimitWatts: 100,
        maxLimitWatts: 700,
      })),
    });
    return { scopes, nodes, tenants: [{ id: 't1', gpuQuota: o.gpuQuota, wattQuota: o.wattQuota }, { id: 't2' }] };
  });

const arbPod = fc.record({
  shape: fc.constantFrom<[number, number]>(
    [1, 1000],
    [2, 1000],
    [4, 1000],
    [8, 1000],
    [1, 250],
    [1, 500],
    [1, 700],
    [0, 0],
  ),
  cpu: fc.constantFrom(1_000, 4_000, 16_000),
  memory: fc.constantFrom(1_024, 65_536),
  products: fc.constantFrom<string[] | null>(null, ['A'], ['B'], ['A', 'B']),
  minMem: fc.constantFrom(0, 0, 60_000),
  watts: fc.constantFrom(300, 500, 700),
  cap: fc.constantFrom<{ limitWatts: number; wattsPerGpu: number } | null>(
    null,
    { limitWatts: 250, wattsPerGpu: 200 },
    { limitWatts: 400, wattsPerGpu: 350 },
  ),
});

type GenPod = Omit<PodRequest, 'id'>;
/** A generated replica without ids (withIds gives them). */
export type GenReplica = Omit<ReplicaRequest, 'id' | 'pods'> & { pods: GenPod[] };

export const arbReplica: fc.Arbitrary<GenReplica> = fc
  .record({
    pods: fc.array(arbPod, { minLength: 1, maxLength: 3 }),
    gang: fc.constantFrom<GangTopology | null | 'single'>('single', 'single', 'single', 'rack', 'row', 'hall', null),
    tenant: fc.constantFrom<string | null>(null, 't1', 't2'),
    priority: fc.integer({ min: 0, max: 3 }),
    deployment: fc.constantFrom<string | null>(null, 'd1', 'd2'),
  })
  .map((o) => ({
    pods: (o.gang === 'single' ? o.pods.slice(0, 1) : o.pods).map(podOf),
    topology: o.gang === 'single' ? null : o.gang,
    tenant: o.tenant,
    priority: o.priority,
    deployment: o.deployment,
  }));

function podOf(p: {
  shape: [number, number];
  cpu: number;
  memory: number;
  products: string[] | null;
  minMem: number;
  watts: number;
  cap: { limitWatts: number; wattsPerGpu: number } | null;
}): GenPod {
  return {
    cpuMilli: p.cpu,
    memoryMiB: p.memory,
    gpuCount: p.shape[0],
    gpuMilli: p.shape[1],
    allowedProducts: p.products,
    minGpuMemoryMiB: p.shape[0] === 0 ? 0 : p.minMem,
    wattsPerGpu: p.watts,
    cap: p.cap === null ? null : { limitWatts: p.cap.limitWatts, wattsPerGpu: Math.min(p.cap.wattsPerGpu, p.watts) },
  };
}

/** Gives the pods of a generated replica ids. */
export function withIds(id: string, r: GenReplica): ReplicaRequest {
  return { ...r, id, pods: r.pods.map((p, i) => ({ ...p, id: `${id}/${i}` })) };
}

export type Op =
  | { kind: 'place'; replica: GenReplica }
  | { kind: 'release'; pick: number }
  | { kind: 'budget'; scope: number; watts: number | null }
  | { kind: 'condition'; node: number; up: boolean }
  | { kind: 'preempt'; replica: GenReplica };

export const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: arbReplica.map((replica) => ({ kind: 'place' as const, replica })) },
  { weight: 2, arbitrary: fc.nat(1000).map((pick) => ({ kind: 'release' as const, pick })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ scope: fc.nat(100), watts: fc.constantFrom(null, 2_000, 5_000, 20_000) })
      .map((b) => ({ kind: 'budget' as const, ...b })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ node: fc.nat(100), up: fc.boolean() }).map((b) => ({ kind: 'condition' as const, ...b })),
  },
  {
    weight: 1,
    arbitrary: arbReplica.map((replica) => ({ kind: 'preempt' as const, replica: { ...replica, priority: 5 } })),
  },
);

/** Places the 'place' ops of a stream (replica ids r0, r1, ...), skipping requests the cluster refuses as invalid. */
export function placeOps(engine: PlacementEngine, ops: readonly Op[]): void {
  ops.forEach((op, i) => {
    if (op.kind !== 'place') return;
    try {
      engine.place(withIds(`r${i}`, op.replica));
    } catch (err) {
      if (!(err instanceof PlacementInputError)) throw err;
    }
  });
}
