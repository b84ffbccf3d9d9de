import {
  ANNOTATION,
  deriveGpuUuid,
  GPU_RESOURCE,
  LABEL,
  NVIDIA_H200,
  parseGpuAnnotation,
  parsePowerLimitAnnotation,
  type TopologyDocument,
  type TopologyGpuProduct,
} from '@switchyard/contracts';
import type { ObjectStore, StoreEvent } from '../object-store';
import type { KubeObject } from '../resource-type';
import { enforcedLimitWatts, gpuDrawWatts, gpuPowerSpec, type GpuOccupant, type GpuPowerSpec } from './gpu-draw';
import { podLoad } from './gpu-load';
import { nodeWallWatts, type NodePowerSpec } from './node-wall-power';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Idle and host power of a GPU node that is not in the topology (an HGX H200 node's, scaled by its GPUs). */
const DEFAULT_NODE_IDLE_WATTS = 2_000;
const DEFAULT_HOST_WATTS_AT_FULL_LOAD = 2_600;

export interface SimulatedGpu {
  readonly index: number;
  readonly uuid: string;
  /** As DCGM names it (`NVIDIA H200`), from the GPU feature discovery product (`NVIDIA-H200`). */
  readonly modelName: string;
  readonly spec: GpuPowerSpec;
  readonly occupants: ReadonlyMap<string, GpuOccupant & { readonly pod: PodRef }>;
  /** The enforced limit, kept current as pods come and go. */
  readonly limitWatts: number;
}

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly container: string;
}

export interface SimulatedPowerNode extends NodePowerSpec {
  readonly name: string;
  readonly gpus: readonly SimulatedGpu[];
  /** Its exporters are down: no series of it are served. */
  readonly silenced: boolean;
}

interface MutableGpu extends SimulatedGpu {
  occupants: Map<string, GpuOccupant & { pod: PodRef }>;
  /** The occupants as an array: draws are computed 240,000 times a campus scrape, without an iterator each. */
  occupantList: GpuOccupant[];
  limitWatts: number;
  /** Bumped on every change of who runs on it, so exporters can cache what they derive from it. */
  version: number;
}

interface MutableNode extends SimulatedPowerNode {
  gpus: MutableGpu[];
  silenced: boolean;
}

/**
 * The power the simulated GPU nodes draw: every Running pod loads the GPUs it was given
 * (`switchyard.io/gpus`, or the lowest free ones) with its profile (`switchyard.io/watts-per-gpu`,
 * else the product's TDP), under its enforced limit (what the node agent reports in force, else
 * `switchyard.io/power-limit-watts`; clamped to the GPU's range). Follows the object store; draws are computed for any instant on demand.
 */
export class SimulatedPower {
  private readonly byName = new Map<string, MutableNode>();
  private readonly gpusByUuid = new Map<string, { node: MutableNode; gpu: MutableGpu }>();
  private readonly placed = new Map<string, MutableGpu[]>();
  private readonly products: Map<string, TopologyGpuProduct>;
  private readonly nodeWatts: Map<string, { idleWatts: number; maxWatts: number }>;
  private unsubscribe: Array<() => void> = [];

  constructor(
    private readonly store: ObjectStore,
    topology: TopologyDocument | undefined,
    private readonly seed: number,
  ) {
    this.products = new Map((topology?.gpuProducts ?? []).map((p) => [p.name, p]));
    this.nodeWatts = new Map((topology?.nodes ?? []).map((n) => [n.name, n]));
  }

  start(): void {
    for (const node of this.store.list('nodes', undefined, false)) this.observeNode(node);
    for (const pod of this.store.list('pods', undefined, false)) this.observePod(pod);
    this.unsubscribe = [
      this.store.subscribe('nodes', (e) => this.onNode(e)),
      this.store.subscribe('pods', (e) => this.onPod(e)),
    ];
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
  }

  /** Every simulated GPU node, in the order they were created. */
  nodes(): IterableIterator<SimulatedPowerNode> {
    return this.byName.values();
  }

  node(name: string): SimulatedPowerNode | undefined {
    return this.byName.get(name);
  }

  /** What the GPU draws at `t` (ms since the epoch); undefined for an unknown UUID. */
  gpuWatts(uuid: string, t: number): number | undefined {
    const entry = this.gpusByUuid.get(uuid);
    return entry ? this.drawOf(entry.gpu, t) : undefined;
  }

  /** The node's wall power at `t` (idle + GPUs + host share). */
  nodeWallWatts(name: string, t: number): number | undefined {
    const node = this.byName.get(name);
    return node ? nodeWallWatts(node, this.gpuSum(node, t)) : undefined;
  }

  drawOf(gpu: SimulatedGpu, t: number): number {
    return gpuDrawWatts(gpu.spec, (gpu as MutableGpu).occupantList, gpu.limitWatts, t);
  }

  /** Sum of the node's GPU draws at `t`. */
  gpuSum(node: SimulatedPowerNode, t: number): number {
    let sum = 0;
    for (const gpu of node.gpus) sum += this.drawOf(gpu, t);
    return sum;
  }

  /** Stops (or resumes) serving the node's DCGM and IPMI series, as when its exporter pod or BMC is unreachable. */
  silence(name: string, silenced = true): void {
    const node = this.byName.get(name);
    if (!node) throw new Error(`no simulated node ${name}`);
    node.silenced = silenced;
  }

  /** The change counter of a GPU's occupants (exporters cache their label text by it). */
  versionOf(gpu: SimulatedGpu): number {
    return (gpu as MutableGpu).version;
  }

  private onNode(e: StoreEvent): void {
    if (e.type === 'DELETED') {
      const node = this.byName.get(e.object.metadata.name as string);
      if (!node) return;
      this.byName.delete(node.name);
      for (const gpu of node.gpus) this.gpusByUuid.delete(gpu.uuid);
    } else this.observeNode(e.object);
  }

  private observeNode(object: KubeObject): void {
    const name = object.metadata.name as string;
    if (this.byName.has(name)) return;
    const labels = object.metadata.labels ?? {};
    const count = Number(((object.status as Any | undefined)?.allocatable ?? {})[GPU_RESOURCE] ?? 0);
    const productName = labels[LABEL.gpuProduct] ?? NVIDIA_H200.name;
    const product = this.products.get(productName) ?? NVIDIA_H200;
    const spec = gpuPowerSpec(product);
    const uuids = (object.metadata.annotations?.['switchyard.io/gpu-uuids'] ?? '').split(',').filter(Boolean);
    const gpus: MutableGpu[] = Array.from({ length: Number.isInteger(count) ? count : 0 }, (_, index) => ({
      index,
      uuid: uuids[index] ?? deriveGpuUuid(name, index),
      modelName: productName.replace(/-/g, ' '),
      spec,
      occupants: new Map(),
      occupantList: [],
      limitWatts: enforcedLimitWatts(spec, []),
      version: 0,
    }));
    const gpuTdpWatts = gpus.length * spec.tdpWatts;
    const watts = this.nodeWatts.get(name) ?? {
      idleWatts: DEFAULT_NODE_IDLE_WATTS,
      maxWatts: DEFAULT_NODE_IDLE_WATTS + gpuTdpWatts + (gpus.length > 0 ? DEFAULT_HOST_WATTS_AT_FULL_LOAD : 0),
    };
    const node: MutableNode = {
      name,
      idleWatts: watts.idleWatts,
      maxWatts: watts.maxWatts,
      gpuTdpWatts,
      gpus,
      silenced: false,
    };
    this.byName.set(name, node);
    for (const gpu of gpus) this.gpusByUuid.set(gpu.uuid, { node, gpu });
  }

  private onPod(e: StoreEvent): void {
    if (e.type === 'DELETED') this.release(e.object.metadata.uid as string);
    else this.observePod(e.object);
  }

  /** A Running pod draws on its GPUs; any other pod draws nothing. Re-read on every change (its cap may move). */
  private observePod(pod: KubeObject): void {
    const uid = pod.metadata.uid as string;
    this.release(uid);
    const spec = (pod.spec ?? {}) as Any;
    const node = spec.nodeName ? this.byName.get(spec.nodeName) : undefined;
    if (!node || (pod.status as Any | undefined)?.phase !== 'Running') return;
    const annotations = pod.metadata.annotations ?? {};
    const { whole, share } = gpuDemand(spec, annotations);
    if (whole === 0) return;
    const named = parseGpuAnnotation(annotations[ANNOTATION.gpus]).gpus;
    let gpus = named
      .map((g) => node.gpus.find((x) => x.uuid === g.uuid) ?? node.gpus[g.index])
      .filter((g): g is MutableGpu => g !== undefined);
    if (gpus.length === 0) gpus = node.gpus.filter((g) => g.occupants.size === 0).slice(0, whole);
    const profile = Number(annotations[ANNOTATION.wattsPerGpu]);
    const ref: PodRef = {
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name as string,
      container: String(spec.containers?.[0]?.name ?? ''),
    };
    const load = podLoad(this.seed, uid);
    for (const gpu of gpus) {
      gpu.occupants.set(uid, {
        share,
        profileWatts: profile > 0 ? profile : gpu.spec.tdpWatts,
        limitWatts: podLimitWatts(annotations),
        load,
        pod: ref,
      });
      this.changed(gpu);
    }
    this.placed.set(uid, gpus);
  }

  private release(uid: string): void {
    const gpus = this.placed.get(uid);
    if (!gpus) return;
    this.placed.delete(uid);
    for (const gpu of gpus) {
      gpu.occupants.delete(uid);
      this.changed(gpu);
    }
  }

  private changed(gpu: MutableGpu): void {
    gpu.occupantList = [...gpu.occupants.values()];
    gpu.limitWatts = enforcedLimitWatts(gpu.spec, gpu.occupantList);
    gpu.version++;
  }
}

/** What the node agent reports in force on the pod (`enforced-power-limit-watts`), else what the pod asks for. */
function podLimitWatts(annotations: Record<string, string>): number | null {
  return (
    parsePowerLimitAnnotation(annotations[ANNOTATION.enforcedPowerLimitWatts]) ??
    parsePowerLimitAnnotation(annotations[ANNOTATION.powerLimitWatts])
  );
}

/** Whole GPUs the pod asks for (limits, else requests, summed over containers), and its share of each. */
function gpuDemand(spec: Any, annotations: Record<string, string>): { whole: number; share: number } {
  let whole = 0;
  for (const c of (spec.containers ?? []) as Any[])
    whole += Number(c.resources?.limits?.[GPU_RESOURCE] ?? c.resources?.requests?.[GPU_RESOURCE] ?? 0) || 0;
  const milli = Number(annotations[ANNOTATION.gpuMilli]);
  if (whole === 0 && milli > 0 && milli < 1000) return { whole: 1, share: milli / 1000 };
  return { whole, share: 1 };
}
