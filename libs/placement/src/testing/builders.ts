import type {
  ClusterInput,
  GpuInput,
  NodeInput,
  PodRequest,
  ReplicaRequest,
  ScopeInput,
  ScopeKind,
  TenantInput,
} from '../model';

/**
 * Small builders for clusters, nodes, GPUs, scopes and requests, shared by this library's
 * tests, other libraries' tests and the benchmark. Defaults are an H200-class node.
 */

export const H200: GpuInput = { memoryMiB: 143_771, tdpWatts: 700, minLimitWatts: 200, maxLimitWatts: 700 };

export function gpus(count: number, spec: Partial<GpuInput> = {}): GpuInput[] {
  return Array.from({ length: count }, () => ({ ...H200, ...spec }));
}

export function scope(
  id: string,
  kind: ScopeKind,
  parentId: string | null,
  capacityWatts: number,
  extra: Partial<ScopeInput> = {},
): ScopeInput {
  return { id, kind, parentId, capacityWatts, ...extra };
}

export function node(id: string, scopeId: string, extra: Partial<NodeInput> & { gpuCount?: number } = {}): NodeInput {
  const { gpuCount, ...rest } = extra;
  return {
    id,
    scopeId,
    cpuMilli: 224_000,
    memoryMiB: 2_097_152,
    idleWatts: 2_000,
    maxWatts: 10_200,
    gpuProduct: 'H200',
    gpus: gpus(gpuCount ?? 8),
    ...rest,
  };
}

export function pod(id: string, extra: Partial<PodRequest> = {}): PodRequest {
  return { id, cpuMilli: 8_000, memoryMiB: 65_536, gpuCount: 1, gpuMilli: 1000, wattsPerGpu: 600, ...extra };
}

/** A single-pod replica whose pod id is `${id}/0`. */
export function replica(
  id: string,
  podExtra: Partial<PodRequest> = {},
  extra: Partial<ReplicaRequest> = {},
): ReplicaRequest {
  return { id, pods: [pod(`${id}/0`, podExtra)], ...extra };
}

/** A gang of `size` identical pods (`${id}/0`..). */
export function gang(
  id: string,
  size: number,
  podExtra: Partial<PodRequest> = {},
  extra: Partial<ReplicaRequest> = {},
): ReplicaRequest {
  return { id, pods: Array.from({ length: size }, (_, i) => pod(`${id}/${i}`, podExtra)), topology: 'rack', ...extra };
}

export interface GridOptions {
  halls?: number;
  rowsPerHall?: number;
  racksPerRow?: number;
  nodesPerRack?: number;
  gpusPerNode?: number;
  rackWatts?: number;
  rowWatts?: number;
  hallWatts?: number;
  siteWatts?: number;
  hallOversubscription?: number;
  siteOversubscription?: number;
  node?: (id: string, rackId: string, index: number) => NodeInput;
  tenants?: TenantInput[];
}

/** A regular site > hall > row > rack > node tree. Ids: site, h0, h0r0, h0r0k0, h0r0k0n0. */
export function gridCluster(o: GridOptions = {}): ClusterInput {
  const halls = o.halls ?? 1;
  const rows = o.rowsPerHall ?? 1;
  const racks = o.racksPerRow ?? 2;
  const perRack = o.nodesPerRack ?? 2;
  const scopes: ScopeInput[] = [
    scope('site', 'site', null, o.siteWatts ?? 1e12, { oversubscription: o.siteOversubscription ?? 1 }),
  ];
  const nodes: NodeInput[] = [];
  let index = 0;
  for (let h = 0; h < halls; h++) {
    const hid = `h${h}`;
    scopes.push(scope(hid, 'hall', 'site', o.hallWatts ?? 1e11, { oversubscription: o.hallOversubscription ?? 1 }));
    for (let r = 0; r < rows; r++) {
      const rid = `${hid}r${r}`;
      scopes.push(scope(rid, 'row', hid, o.rowWatts ?? 1e10));
      for (let k = 0; k < racks; k++) {
        const kid = `${rid}k${k}`;
        scopes.push(scope(kid, 'rack', rid, o.rackWatts ?? 1e9));
        for (let n = 0; n < perRack; n++) {
          const nid = `${kid}n${n}`;
          nodes.push(o.node ? o.node(nid, kid, index) : node(nid, kid, { gpuCount: o.gpusPerNode ?? 8 }));
          index++;
        }
      }
    }
  }
  return { scopes, nodes, tenants: o.tenants };
}
