import type { Inventory } from '@switchyard/inventory';
import type { ModelDeploymentObject, PodObject, ResourceInformer, SwitchyardCluster } from '@switchyard/kube';
import {
  FINALIZER_ALLOCATIONS,
  describeIssues,
  formatGpuAnnotation,
  validateModelDeploymentSpec,
} from '@switchyard/contracts';
import {
  computeDeploymentStatus,
  statusChanged,
  type PodAllocationView,
  type PodExplanationView,
} from './deployment-status';
import type { ModelDeploymentView, ModelProfileDefaults } from './model-deployment-view';
import { podKey, type PodView } from '../scheduling/pod-model';
import { planReplicas } from './replica-plan';
import type { SchedulingLogger } from '../scheduling/scheduling-ports';
import type { SchedulingReadModel } from '../scheduling/scheduling-read-model';

export interface ModelDeploymentControllerDeps {
  readonly cluster: SwitchyardCluster;
  readonly deployments: ResourceInformer<ModelDeploymentObject>;
  readonly pods: ResourceInformer<PodObject>;
  /** Explanations, allocations and budget pressure, as the scheduler and the cluster state hold them. */
  readonly readModel: SchedulingReadModel;
  readonly inventory: Inventory;
  readonly logger: SchedulingLogger;
  /** Every deployment is reconciled at least this often (explanations change without an event). */
  readonly resyncMs?: number;
  readonly onDeploymentId?: (key: string, id: string) => void;
  /** Why a node cannot run pods now (NotReady, deleted); shown on the replicas with pods there. */
  readonly nodeProblem?: (nodeName: string) => string | undefined;
}

/**
 * The ModelDeployment controller: reconciles one deployment at a time through a keyed queue
 * (a burst of pod events for one deployment becomes one reconcile), creates and deletes its
 * pods from `planReplicas`, writes status through the status subresource only when it
 * changed, and holds a finalizer so allocations are released before the object goes.
 */
export class ModelDeploymentController {
  private readonly dirty = new Set<string>();
  private readonly podsByOwner = new Map<string, Set<string>>();
  private readonly recordedGeneration = new Map<string, number>();
  private readonly profiles = new Map<string, { at: number; profile: ModelProfileDefaults | null }>();
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  private retryAt = new Map<string, number>();

  constructor(private readonly deps: ModelDeploymentControllerDeps) {
    deps.deployments.addHandlers({
      onAdd: (md) => this.enqueue(objectKeyOf(md)),
      onUpdate: (md) => this.enqueue(objectKeyOf(md)),
      onDelete: (md) => this.enqueue(objectKeyOf(md)),
    });
    deps.pods.addHandlers({
      onAdd: (pod) => this.indexPod(pod, true),
      onUpdate: (pod) => this.indexPod(pod, true),
      onDelete: (pod) => this.indexPod(pod, false),
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const md of this.deps.deployments.list()) this.dirty.add(objectKeyOf(md));
    this.loop = this.run();
    this.resyncTimer = setInterval(() => {
      for (const md of this.deps.deployments.list()) this.enqueue(objectKeyOf(md));
    }, this.deps.resyncMs ?? 5000);
    this.resyncTimer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  enqueue(key: string): void {
    this.dirty.add(key);
    this.wake?.();
  }

  private indexPod(pod: PodObject, present: boolean): void {
    const owner = pod.metadata.ownerReferences?.find((o) => o.kind === 'ModelDeployment' && o.controller);
    if (!owner) return;
    const key = podKey(pod);
    let set = this.podsByOwner.get(owner.uid);
    if (present) {
      if (!set) this.podsByOwner.set(owner.uid, (set = new Set()));
      set.add(key);
    } else set?.delete(key);
    if (pod.metadata.namespace) this.enqueue(`${pod.metadata.namespace}/${owner.name}`);
  }

  private async run(): Promise<void> {
    while (this.running) {
      const now = Date.now();
      const key = [...this.dirty].find((k) => (this.retryAt.get(k) ?? 0) <= now);
      if (key === undefined) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 200);
          this.wake = () => {
            clearTimeout(timer);
            this.wake = null;
            resolve();
          };
        });
        continue;
      }
      this.dirty.delete(key);
      try {
        await this.reconcile(key);
        this.retryAt.delete(key);
      } catch (error) {
        this.deps.logger.warn(
          { deployment: key, err: String((error as Error)?.message ?? error) },
          'reconcile failed; retrying',
        );
        this.retryAt.set(key, Date.now() + 1000);
        this.dirty.add(key);
      }
    }
  }

  /** Bring one deployment's pods and status in line with its spec. */
  async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/');
    const md = this.deps.deployments.get(name, namespace);
    if (!md) return;
    const owned = this.ownedPods(md);
    const cluster = this.deps.cluster;

    if (md.metadata.deletionTimestamp) {
      for (const pod of owned)
        if (!pod.metadata.deletionTimestamp)
          await cluster.pods.delete(namespace, pod.metadata.name, { uid: pod.metadata.uid });
      // The scheduler releases each allocation as its pod goes; the finalizer waits for that.
      if (owned.length === 0) await cluster.modelDeployments.removeFinalizer(md, FINALIZER_ALLOCATIONS);
      return;
    }
    const validated = validateModelDeploymentSpec(md.spec);
    if (!validated.ok) {
      this.deps.logger.warn(
        { deployment: key, issues: describeIssues(validated.issues) },
        'invalid ModelDeployment spec; not reconciled',
      );
      return;
    }
    const current = md.metadata.finalizers?.includes(FINALIZER_ALLOCATIONS)
      ? md
      : await cluster.modelDeployments.addFinalizer(md, FINALIZER_ALLOCATIONS);
    const view: ModelDeploymentView = {
      apiVersion: md.apiVersion,
      kind: md.kind,
      metadata: current.metadata,
      spec: validated.value,
      status: md.status,
    };
    const profile = await this.profile(validated.value.model);
    await this.recordDeployment(view);

    const plan = planReplicas({
      deployment: view,
      pods: owned,
      profile,
      budgetPressure: (node) => this.deps.readModel.budgetPressure(node),
    });
    for (const d of plan.delete) {
      const pod = owned.find((p) => p.metadata.name === d.name);
      await cluster.pods.delete(namespace, d.name, pod?.metadata.uid ? { uid: pod.metadata.uid } : {});
    }
    for (const pod of plan.create) {
      try {
        await cluster.pods.create(pod as PodObject);
      } catch (error) {
        if ((error as { status?: number }).status !== 409) throw error; // already there: the informer is behind
      }
    }

    const allocations = new Map<string, PodAllocationView>();
    const explanations = new Map<string, PodExplanationView>();
    for (const pod of owned) {
      const allocation = this.deps.readModel.allocationOf(namespace, pod.metadata.name);
      if (allocation) {
        allocations.set(podKey(pod), {
          nodeName: allocation.nodeName,
          predictedWatts: allocation.predictedWatts,
          powerLimitWatts: allocation.powerLimitWatts,
          gpus: formatGpuAnnotation(allocation.gpus),
        });
      }
      const explanation = this.deps.readModel.explanation(namespace, pod.metadata.name);
      if (explanation) explanations.set(podKey(pod), explanation);
    }
    const status = withNodeProblems(
      computeDeploymentStatus({
        deployment: view,
        profile,
        pods: owned,
        allocations,
        explanations,
        now: new Date(),
      }),
      this.deps.nodeProblem,
    );
    if (statusChanged(md.status, status)) await cluster.modelDeployments.writeStatus(namespace, name, status);
  }

  private ownedPods(md: ModelDeploymentObject): (PodObject & PodView)[] {
    const keys = this.podsByOwner.get(md.metadata.uid ?? '') ?? new Set();
    const out: PodObject[] = [];
    for (const key of keys) {
      const [ns, n] = key.split('/');
      const pod = this.deps.pods.get(n, ns);
      if (pod && pod.metadata.ownerReferences?.some((o) => o.uid === md.metadata.uid)) out.push(pod);
    }
    return out as (PodObject & PodView)[];
  }

  /** The model profile's defaults, cached for a minute; a deployment may name a profile that does not exist. */
  private async profile(model: string): Promise<ModelProfileDefaults | null> {
    const cached = this.profiles.get(model);
    if (cached && Date.now() - cached.at < 60_000) return cached.profile;
    const record = await this.deps.inventory.modelProfiles.findByName(model).catch(() => undefined);
    const profile: ModelProfileDefaults | null = record
      ? {
          gpuMemoryMiB: record.gpuMemoryMiB,
          wattsPerGpu: record.predictedWattsPerGpu,
          ...(record.allowedProducts.length > 0 ? { allowedProducts: record.allowedProducts } : {}),
          ...(record.predictedWattsPerGpuCapped != null
            ? { cappedWattsPerGpu: record.predictedWattsPerGpuCapped }
            : {}),
          ...(record.cappedPowerLimitWatts != null ? { cappedPowerLimitWatts: record.cappedPowerLimitWatts } : {}),
        }
      : null;
    this.profiles.set(model, { at: Date.now(), profile });
    return profile;
  }

  /** Keep the deployments table current (placements refer to it), once per generation. */
  private async recordDeployment(md: ModelDeploymentView): Promise<void> {
    const key = `${md.metadata.namespace}/${md.metadata.name}`;
    const generation = md.metadata.generation ?? 0;
    if (this.recordedGeneration.get(key) === generation) return;
    const record = await this.deps.inventory.deployments.upsert({
      namespace: md.metadata.namespace ?? 'default',
      name: md.metadata.name ?? '',
      kubeUid: md.metadata.uid ?? null,
      priority: md.spec.priority === 'best-effort' ? 'best_effort' : md.spec.priority,
      replicas: md.spec.replicas,
      spec: JSON.parse(JSON.stringify(md.spec)),
    });
    this.deps.onDeploymentId?.(key, record.id);
    this.recordedGeneration.set(key, generation);
  }
}

function objectKeyOf(obj: { metadata: { name: string; namespace?: string } }): string {
  return `${obj.metadata.namespace ?? 'default'}/${obj.metadata.name}`;
}

/**
 * A replica with a pod on a node that is NotReady (or deleted) says so in its status message:
 * its pods keep their allocations until they are deleted, so the replica counts as placed
 * but may not be serving.
 */
function withNodeProblems(
  status: ReturnType<typeof computeDeploymentStatus>,
  nodeProblem: ((nodeName: string) => string | undefined) | undefined,
): ReturnType<typeof computeDeploymentStatus> {
  if (!nodeProblem) return status;
  const replicaStatuses = (status.replicaStatuses ?? []).map((replica) => {
    const problems = replica.pods.flatMap((pod) => {
      const problem = pod.node ? nodeProblem(pod.node) : undefined;
      return problem ? [`pod ${pod.name}: ${problem}`] : [];
    });
    if (problems.length === 0) return replica;
    const message = `${problems.join('; ')} (the pod keeps its GPUs until it is deleted)`;
    return { ...replica, message: replica.message ? `${replica.message}; ${message}` : message };
  });
  return { ...status, replicaStatuses };
}
