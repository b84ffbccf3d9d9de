import { PodAlreadyBoundError, PodGoneError, type EventRecorder, type SwitchyardCluster } from '@switchyard/kube';
import type { PodView } from './pod-model';
import type { BindOutcome, BindRequest, SchedulingCluster, SchedulingLogger } from './scheduling-ports';

/** The scheduler's Kubernetes calls over libs/kube: bind with GPU annotations, evict, events. */
export class KubeSchedulingCluster implements SchedulingCluster {
  private lastDropWarning = 0;

  constructor(
    private readonly cluster: SwitchyardCluster,
    private readonly events: EventRecorder,
    private readonly logger: SchedulingLogger,
  ) {}

  async bind(req: BindRequest): Promise<BindOutcome> {
    try {
      await this.cluster.binder.bind(req);
      return 'bound';
    } catch (error) {
      if (error instanceof PodGoneError) return 'gone';
      if (error instanceof PodAlreadyBoundError) return 'conflict';
      throw error;
    }
  }

  async boundNode(req: { namespace: string; name: string; uid: string }): Promise<string | null | 'gone'> {
    const pod = await this.cluster.pods.get(req.namespace, req.name);
    if (!pod || pod.metadata.uid !== req.uid) return 'gone';
    return pod.spec.nodeName ?? null;
  }

  async evict(req: { namespace: string; name: string; uid: string }): Promise<void> {
    await this.cluster.evictor.evict(req);
  }

  /** Queued, never awaited: the recorder's writers send it (or drop it when its queue is full). */
  recordEvent(pod: PodView, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const meta = pod.metadata ?? {};
    const queued = this.events.emit(
      { kind: 'Pod', apiVersion: 'v1', namespace: meta.namespace ?? 'default', name: meta.name ?? '', uid: meta.uid },
      type,
      reason,
      message,
    );
    if (!queued && !this.events.isClosed && Date.now() - this.lastDropWarning > 60_000) {
      this.lastDropWarning = Date.now();
      this.logger.warn({ dropped: this.events.dropped }, 'event queue full: dropping Kubernetes events');
    }
  }
}
