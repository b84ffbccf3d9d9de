import type { TopologyGpuProduct } from '@switchyard/contracts';
import type { ObjectApi } from './object-api';
import { timestamp } from './object-api';
import type { StoreEvent } from './object-store';
import type { JsonObject, KubeObject } from './resource-type';
import { SimulatedPowerLimits } from './simulated-power-limits';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function isNodeReady(node: KubeObject | undefined): boolean {
  const conditions = ((node?.status as Any | undefined)?.conditions ?? []) as Any[];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Every simulated node's kubelet at once: a pod bound to a Ready node becomes Running (Ready, podIP, startTime)
 * after `delayMs`, and a pod deleted with a grace period is removed after `delayMs` (not the full grace period).
 * It also plays the node agent: GPU power limits follow the pods' annotations (`powerLimits`).
 */
export class SimulatedKubelet {
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; kind: 'run' | 'delete' }>();
  private unsubscribe?: () => void;
  private podCounter = 0;
  readonly powerLimits: SimulatedPowerLimits;

  constructor(
    private readonly api: ObjectApi,
    private readonly delayMs: number,
    private readonly now: () => number = Date.now,
    gpuProducts: readonly TopologyGpuProduct[] = [],
  ) {
    this.powerLimits = new SimulatedPowerLimits(api, gpuProducts);
  }

  start(): void {
    this.unsubscribe = this.api.store.subscribe('pods', (e) => {
      this.observe(e);
      this.powerLimits.observe(e);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.powerLimits.stop();
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
  }

  /** Runs pods that were waiting for their node to become Ready again. */
  nodeBecameReady(nodeName: string): void {
    for (const pod of this.api.store.listByField('pods', 'spec.nodeName', nodeName) ?? [])
      this.observe({ type: 'MODIFIED', object: pod, typeKey: 'pods', resourceVersion: 0 });
  }

  private observe(e: StoreEvent): void {
    if (e.type === 'DELETED') {
      this.cancel(e.object.metadata.uid as string);
      return;
    }
    const pod = e.object;
    const uid = pod.metadata.uid as string;
    const spec = (pod.spec ?? {}) as Any;
    const phase = (pod.status as Any | undefined)?.phase;
    const pending = this.timers.get(uid);
    if (!spec.nodeName || pending?.kind === 'delete') return;
    if (pod.metadata.deletionTimestamp && (pod.metadata.deletionGracePeriodSeconds ?? 0) > 0) {
      this.cancel(uid);
      this.schedule(uid, 'delete', () => this.finishDeletion(pod));
    } else if (!pending && !pod.metadata.deletionTimestamp && phase === 'Pending') {
      this.schedule(uid, 'run', () => this.run(pod));
    }
  }

  private schedule(uid: string, kind: 'run' | 'delete', action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(uid);
      action();
    }, this.delayMs);
    this.timers.set(uid, { timer, kind });
  }

  private cancel(uid: string): void {
    const pending = this.timers.get(uid);
    if (pending) clearTimeout(pending.timer);
    this.timers.delete(uid);
  }

  private current(pod: KubeObject): KubeObject | undefined {
    const now = this.api.store.get('pods', pod.metadata.namespace ?? '', pod.metadata.name as string);
    return now && now.metadata.uid === pod.metadata.uid ? now : undefined;
  }

  private run(pod: KubeObject): void {
    const current = this.current(pod);
    if (!current || current.metadata.deletionTimestamp) return;
    const spec = (current.spec ?? {}) as Any;
    const status = (current.status ?? {}) as Any;
    if (status.phase !== 'Pending') return;
    const node = this.api.store.get('nodes', '', spec.nodeName);
    // A kubelet that is not there (no such node) or not Ready leaves the pod Pending, as in a real cluster.
    if (!isNodeReady(node)) return;
    const at = timestamp(this.now());
    const hostIP =
      ((node!.status as Any).addresses ?? []).find((a: Any) => a.type === 'InternalIP')?.address ?? '10.0.0.1';
    const cidr = String((node!.spec as Any)?.podCIDR ?? '10.244.0.0/24');
    const podIP = `${cidr.split('.').slice(0, 3).join('.')}.${(this.podCounter++ % 253) + 1}`;
    const condition = (type: string): JsonObject => ({
      type,
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: at,
    });
    const scheduled =
      ((status.conditions ?? []) as Any[]).find((c) => c.type === 'PodScheduled') ?? condition('PodScheduled');
    const next: KubeObject = {
      ...current,
      status: {
        ...status,
        phase: 'Running',
        conditions: [condition('Initialized'), condition('Ready'), condition('ContainersReady'), scheduled],
        hostIP,
        hostIPs: [{ ip: hostIP }],
        podIP,
        podIPs: [{ ip: podIP }],
        startTime: at,
        containerStatuses: ((spec.containers ?? []) as Any[]).map((c) => ({
          name: c.name,
          image: c.image,
          imageID: `${c.image}@sha256:0000000000000000000000000000000000000000000000000000000000000000`,
          containerID: `containerd://${(current.metadata.uid as string).replace(/-/g, '')}`,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: at } },
        })),
      },
    };
    this.api.commit('pods', next);
  }

  private finishDeletion(pod: KubeObject): void {
    const current = this.current(pod);
    if (!current) return;
    if ((current.metadata.finalizers ?? []).length === 0) {
      this.api.erase('pods', current);
      return;
    }
    // With finalizers left, the object stays (grace period now zero) until the last one is removed.
    const status = { ...((current.status ?? {}) as Any), phase: 'Succeeded' };
    this.api.commit('pods', { ...current, metadata: { ...current.metadata, deletionGracePeriodSeconds: 0 }, status });
  }

  /** Pods on a node that stopped being Ready: their Ready condition turns False, as the node lifecycle controller does. */
  markNodePodsNotReady(nodeName: string): void {
    for (const pod of this.api.store.listByField('pods', 'spec.nodeName', nodeName) ?? []) {
      const status = (pod.status ?? {}) as Any;
      const conditions = ((status.conditions ?? []) as Any[]).map((c) =>
        c.type === 'Ready' || c.type === 'ContainersReady'
          ? { ...c, status: 'False', lastTransitionTime: timestamp(this.now()) }
          : c,
      );
      this.api.commit('pods', { ...pod, status: { ...status, conditions } });
    }
  }
}
