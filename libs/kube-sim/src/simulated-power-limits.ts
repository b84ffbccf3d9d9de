/**
 * The node agent's role on every simulated node: the same pure plan (libs/node-agent), applied
 * to simulated GPUs and reported back on the pods with the same annotations, so that what the
 * simulation measures follows the caps the control plane asks for.
 */
import { ANNOTATION, GPU_RESOURCE, LABEL, NVIDIA_H200, type TopologyGpuProduct } from '@switchyard/contracts';
import {
  SimulatedGpuPower,
  enforcementPatch,
  enforcementReports,
  planInputOf,
  planPowerLimits,
} from '@switchyard/node-agent';
import type { ObjectApi } from './object-api';
import type { StoreEvent } from './object-store';
import type { KubeObject } from './resource-type';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export class SimulatedPowerLimits {
  private readonly gpus = new Map<string, SimulatedGpuPower>();
  private readonly products: ReadonlyMap<string, TopologyGpuProduct>;
  /** Nodes to reconcile once the current store change has been delivered to everyone. */
  private readonly dirty = new Set<string>();
  private flush: NodeJS.Immediate | undefined;
  /** Per pod uid, what the plan last read of it. */
  private readonly lastRead = new Map<string, { node: string; read: string }>();

  constructor(
    private readonly api: ObjectApi,
    products: readonly TopologyGpuProduct[] = [],
  ) {
    this.products = new Map(products.map((p) => [p.name, p]));
  }

  /**
   * A pod event: its node's limits may change. Only what the plan reads counts (not its own reports
   * or the kubelet's status writes), and the reconcile is deferred, so a burst of binds costs each
   * node one.
   */
  observe(e: StoreEvent): void {
    const pod = e.object;
    const uid = pod.metadata.uid as string;
    const node = (pod.spec as Any | undefined)?.nodeName as string | undefined;
    const annotations = (pod.metadata.annotations ?? {}) as Record<string, string>;
    const phase = (pod.status as Any | undefined)?.phase as string | undefined;
    const read =
      e.type !== 'DELETED' && node && annotations[ANNOTATION.gpus] !== undefined
        ? planInputOf({ key: '', annotations, phase })
        : undefined;
    const before = this.lastRead.get(uid);
    if (read === before?.read) return;
    if (read === undefined) this.lastRead.delete(uid);
    else this.lastRead.set(uid, { node: node!, read });
    this.dirty.add(node ?? before!.node);
    this.flush ??= setImmediate(() => {
      this.flush = undefined;
      const nodes = [...this.dirty];
      this.dirty.clear();
      for (const name of nodes) this.reconcile(name);
    });
  }

  stop(): void {
    if (this.flush) clearImmediate(this.flush);
    this.flush = undefined;
    this.dirty.clear();
    this.lastRead.clear();
  }

  /** The GPU power limit in force on a simulated GPU, in watts; undefined when the node has no such GPU. */
  enforcedLimitWatts(nodeName: string, gpuIndex: number): number | undefined {
    return this.gpusOf(nodeName)?.limitWatts(gpuIndex);
  }

  /** The agent's reconcile, synchronously: the simulated driver never refuses a planned limit. */
  reconcile(nodeName: string): void {
    const gpus = this.gpusOf(nodeName);
    if (!gpus) return;
    const pods = this.api.store.listByField('pods', 'spec.nodeName', nodeName) ?? [];
    const byKey = new Map(pods.map((p) => [`${p.metadata.namespace ?? ''}/${p.metadata.name as string}`, p]));
    const plan = planPowerLimits(
      [...byKey].map(([key, p]) => ({
        key,
        annotations: (p.metadata.annotations ?? {}) as Record<string, string>,
        phase: (p.status as Any | undefined)?.phase as string | undefined,
      })),
      gpus.readings(),
    );
    for (const action of plan.actions) gpus.apply(action.index, action.toWatts);
    for (const report of enforcementReports(plan, gpus.readings())) {
      const pod = byKey.get(report.key)!;
      const annotations = (pod.metadata.annotations ?? {}) as Record<string, string>;
      const patch = enforcementPatch(annotations, report);
      if (patch) this.annotate(pod, annotations, patch);
    }
  }

  private annotate(pod: KubeObject, current: Record<string, string>, patch: Record<string, string | null>): void {
    const annotations = { ...current };
    for (const [name, value] of Object.entries(patch)) {
      if (value === null) delete annotations[name];
      else annotations[name] = value;
    }
    this.api.commit('pods', { ...pod, metadata: { ...pod.metadata, annotations } });
  }

  /** The node's GPUs, at their default limits until a pod asks otherwise; ranges from the topology's product. */
  private gpusOf(nodeName: string): SimulatedGpuPower | undefined {
    const known = this.gpus.get(nodeName);
    if (known) return known;
    const node = this.api.store.get('nodes', '', nodeName);
    const count = Number((node?.status as Any | undefined)?.allocatable?.[GPU_RESOURCE] ?? 0);
    if (!node || !Number.isSafeInteger(count) || count <= 0) return undefined;
    const product = this.products.get(node.metadata.labels?.[LABEL.gpuProduct] ?? '') ?? NVIDIA_H200;
    const gpus = new SimulatedGpuPower(
      Array.from({ length: count }, (_, index) => ({
        index,
        defaultWatts: product.tdpWatts,
        minWatts: product.minPowerLimitWatts,
        maxWatts: product.maxPowerLimitWatts,
      })),
    );
    this.gpus.set(nodeName, gpus);
    return gpus;
  }
}
