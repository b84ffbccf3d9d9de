/**
 * The node agent's view of Kubernetes: the pods bound to its node (one list+watch with the field
 * selector `spec.nodeName=<node>`, as the kubelet watches its pods) and the annotation patches it
 * reports with.
 */
import {
  PodGoneError,
  ResourceInformer,
  collectionPath,
  mergePatchPod,
  type ClusterConnection,
  type KubeLogger,
  type PodObject,
} from '@switchyard/kube';
import { planInputOf, type EnforcementReporter, type NodePod, type NodePodSource } from '@switchyard/node-agent';

export class NodePodWatch implements NodePodSource, EnforcementReporter {
  private readonly informer: ResourceInformer<PodObject>;

  constructor(
    private readonly conn: ClusterConnection,
    nodeName: string,
    logger: KubeLogger,
  ) {
    this.informer = new ResourceInformer<PodObject>(conn, {
      resource: 'pods',
      path: collectionPath('v1', 'pods'),
      fieldSelector: `spec.nodeName=${nodeName}`,
      logger,
    });
  }

  /** Calls `changed` when a pod arrives or goes, or what the agent reads of it changes (not its own reports). */
  onChange(changed: () => void): void {
    this.informer.addHandlers({
      onAdd: changed,
      onDelete: changed,
      onUpdate: (pod, previous) => {
        if (planInputOf(nodePod(pod)) !== planInputOf(nodePod(previous))) changed();
      },
    });
  }

  /** Resolves after the first complete list. */
  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  pods(): NodePod[] {
    return this.informer.list().map(nodePod);
  }

  async annotate(key: string, annotations: Record<string, string | null>): Promise<void> {
    const [namespace, name] = key.split('/');
    try {
      await mergePatchPod(this.conn, namespace, name, { metadata: { annotations } }, 'annotate');
    } catch (error) {
      if (!(error instanceof PodGoneError)) throw error;
    }
  }
}

function nodePod(pod: PodObject): NodePod {
  return {
    key: `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`,
    annotations: pod.metadata.annotations ?? {},
    phase: pod.status?.phase,
  };
}
