import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Inventory } from '@switchyard/inventory';
import {
  SwitchyardCluster,
  type KubeConfigSource,
  type KubeLogger,
  type EventRecorder,
  type ModelDeploymentObject,
  type NodeObject,
  type PodObject,
  type ResourceInformer,
} from '@switchyard/kube';
import type { KubeSim } from '@switchyard/kube-sim';
import { NodeMetrics, SchedulingMetrics, type MetricsRegistry } from '@switchyard/telemetry';
import { ClusterState } from '../cluster-state/cluster-state';
import { loadKubernetesConfig, type KubernetesConfig } from '../config/control-plane-config';
import { SCHEDULER_NAME } from '../scheduling/pod-model';
import { PodScheduler, type PodSchedulerOptions } from '../scheduling/pod-scheduler';
import type { SchedulingLogger } from '../scheduling/scheduling-ports';
import { schedulingReadModel, type SchedulingReadModel } from '../scheduling/scheduling-read-model';
import { startEmbeddedKubernetes } from './embedded-kubernetes';
import { InventoryAllocationLedger } from '../scheduling/inventory-ledger';
import { InventoryRefresh } from '../cluster-state/inventory-refresh';
import { KubeSchedulingCluster } from '../scheduling/kube-scheduling-cluster';
import { Leadership } from './leadership';
import { ModelDeploymentController } from '../model-deployments/model-deployment-controller';
import { NodeHealth } from '../nodes/node-health';
import { NodeInventorySync } from '../nodes/node-inventory-sync';

export { applyModelDeploymentCrd } from './embedded-kubernetes';

/** How often the leader reconciles its cluster state with PostgreSQL, for writes made by other replicas. */
export const DEFAULT_RECONCILE_MS = 2000;

/** Where the Kubernetes API comes from. */
export type KubernetesConnection =
  /** The embedded API of libs/kube-sim, with simulated GPU nodes from a topology file; its kubeconfig goes to `dataDir/kubeconfig`. */
  | {
      readonly kind: 'embedded';
      readonly dataDir: string;
      readonly topologyFile: string;
      readonly kubeletDelayMs?: number;
      readonly port?: number;
    }
  | { readonly kind: 'cluster'; readonly source: KubeConfigSource };

export interface KubernetesRuntimeOptions {
  readonly inventory: Inventory;
  readonly logger: SchedulingLogger & KubeLogger;
  readonly registry?: MetricsRegistry;
  readonly connection: KubernetesConnection;
  /** Unique per process; default host name, pid and a random suffix. */
  readonly identity?: string;
  readonly leaseNamespace?: string;
  readonly leaseName?: string;
  readonly leaderElection?: {
    readonly leaseDurationMs?: number;
    readonly renewDeadlineMs?: number;
    readonly retryPeriodMs?: number;
  };
  readonly scheduler?: Partial<PodSchedulerOptions>;
  /** How often the leader reconciles budgets, overrides, tenants and the node inventory with PostgreSQL (default 2 s). */
  readonly reconcileMs?: number;
  /** The cluster state to feed (default a new one); the app's budget and scope services share it. */
  readonly state?: ClusterState;
}

/**
 * Chooses the connection the way kubectl users expect: `KUBECONFIG` if set, in-cluster
 * credentials inside a pod, else the embedded API with the demo topology; null when
 * Kubernetes is off (or there is no topology for the embedded API).
 */
export function kubernetesConnectionFor(
  config: KubernetesConfig,
  dataDir: string,
  topologyFile: string | undefined,
): KubernetesConnection | null {
  if (!config.enabled) return null;
  if (config.kubeconfig) return { kind: 'cluster', source: { kind: 'file', path: config.kubeconfig } };
  if (config.inCluster) return { kind: 'cluster', source: { kind: 'in-cluster' } };
  if (!topologyFile) return null;
  return { kind: 'embedded', dataDir, topologyFile };
}

/**
 * Everything Kubernetes-facing in one process, wired: the connection (or the embedded API),
 * the informers for pods, nodes and ModelDeployments, the cluster state they feed, the
 * scheduler and the controller (acting only while this replica leads), node health, inventory
 * refresh and the readiness detail. Each part lives in its own file; this one connects them.
 */
export class KubernetesRuntime {
  readonly state: ClusterState;
  readonly scheduler: PodScheduler;
  /** What the ModelDeployment controller and the REST API read: explanations, allocations, budget pressure. */
  readonly readModel: SchedulingReadModel;
  readonly controller: ModelDeploymentController;
  readonly metrics: SchedulingMetrics | null;
  readonly nodeSync: NodeInventorySync;
  private readonly nodeHealth: NodeHealth;
  private readonly refresh: InventoryRefresh;
  private readonly leadership: Leadership;
  private readonly events: EventRecorder;
  private readonly podInformer: ResourceInformer<PodObject>;
  private readonly nodeInformer: ResourceInformer<NodeObject>;
  private readonly mdInformer: ResourceInformer<ModelDeploymentObject>;
  /** Resolves once every informer has listed; nobody campaigns for leadership before. */
  private synced: Promise<void> = Promise.resolve();
  /** Set by halt() and close(): nothing campaigns after them. */
  private stopped = false;

  private constructor(
    private readonly options: KubernetesRuntimeOptions,
    readonly cluster: SwitchyardCluster,
    readonly sim: KubeSim | null,
    readonly kubeconfigPath: string | null,
  ) {
    const log = options.logger;
    this.state = options.state ?? new ClusterState({ logger: log });
    this.metrics = options.registry ? new SchedulingMetrics(options.registry) : null;
    const nodeMetrics = options.registry ? new NodeMetrics(options.registry) : null;
    const informerOptions = { logger: log, ...(this.metrics ? { metrics: this.metrics } : {}) };
    this.podInformer = cluster.podInformer({
      ...informerOptions,
      fieldSelector: `spec.schedulerName=${SCHEDULER_NAME}`,
    });
    this.nodeInformer = cluster.nodeInformer(informerOptions);
    this.mdInformer = cluster.modelDeployments.informer(informerOptions);
    const identity = options.identity ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const ledger = new InventoryAllocationLedger(options.inventory);
    this.events = cluster.eventRecorder({
      component: 'switchyard-scheduler',
      instance: identity,
      logger: log,
      onDropped: (reason) => this.metrics?.eventDropped(reason),
    });
    const leading = () => this.leadership.leading;
    this.nodeSync = new NodeInventorySync({
      inventory: options.inventory,
      events: this.events,
      logger: log,
      onInventoryChanged: () => this.refresh.reloadSoon(),
      onBlockedChanged: (name) => {
        const node = this.nodeInformer.get(name);
        if (node) this.nodeHealth.apply(node, true);
      },
      onSynced: (result) => nodeMetrics?.nodeSynced(result),
    });
    this.nodeHealth = new NodeHealth({
      state: this.state,
      nodeSync: this.nodeSync,
      inventory: options.inventory,
      events: this.events,
      nodes: this.nodeInformer,
      pods: this.podInformer,
      logger: log,
      metrics: nodeMetrics,
      leading,
    });
    this.refresh = new InventoryRefresh({
      inventory: options.inventory,
      state: this.state,
      ledger,
      nodeSync: this.nodeSync,
      nodes: this.nodeInformer,
      nodeHealth: this.nodeHealth,
      logger: log,
      leading,
      reconcileMs: options.reconcileMs ?? DEFAULT_RECONCILE_MS,
    });
    this.state.useLoader(() => this.refresh.reload());
    this.scheduler = new PodScheduler({
      state: this.state,
      ledger,
      cluster: new KubeSchedulingCluster(cluster, this.events, log),
      logger: log,
      ...(this.metrics ? { metrics: this.metrics } : {}),
      options: options.scheduler ?? {},
    });
    this.readModel = schedulingReadModel(this.scheduler, this.state);
    this.controller = new ModelDeploymentController({
      cluster,
      deployments: this.mdInformer,
      pods: this.podInformer,
      readModel: this.readModel,
      inventory: options.inventory,
      logger: log,
      onDeploymentId: (key, id) => ledger.rememberDeployment(key, id),
      nodeProblem: (name) => this.nodeHealth.problem(name),
    });
    this.podInformer.addHandlers({
      onAdd: (pod) => this.scheduler.podChanged(pod),
      onUpdate: (pod, previous) => {
        this.scheduler.podChanged(pod);
        if (!previous.spec.nodeName) this.nodeHealth.podBound(pod);
      },
      onDelete: (pod) => this.scheduler.podDeleted(pod),
    });
    this.nodeInformer.addHandlers({
      onAdd: (n) => this.nodeChanged(n),
      onUpdate: (n) => this.nodeChanged(n),
      onDelete: (n) => {
        this.nodeHealth.removed(n);
        this.nodeSync.nodeDeleted(n, this.leadership.leading);
      },
    });
    this.leadership = new Leadership({
      cluster,
      identity,
      namespace: options.leaseNamespace ?? 'default',
      leaseName: options.leaseName ?? 'switchyard-scheduler',
      logger: log,
      metrics: this.metrics,
      timings: options.leaderElection ?? {},
      activate: () => this.activate(),
      deactivate: () => this.deactivate(),
    });
  }

  static async start(options: KubernetesRuntimeOptions): Promise<KubernetesRuntime> {
    let runtime: KubernetesRuntime;
    if (options.connection.kind === 'embedded') {
      const embedded = await startEmbeddedKubernetes(options.connection);
      runtime = new KubernetesRuntime(options, embedded.cluster, embedded.sim, embedded.kubeconfigPath);
    } else runtime = new KubernetesRuntime(options, SwitchyardCluster.connect(options.connection.source), null, null);
    try {
      await runtime.begin();
    } catch (error) {
      await runtime.close();
      throw error;
    }
    return runtime;
  }

  /**
   * Load the inventory, then start the informers, the scheduling loop and, once every informer
   * has listed, the campaign for leadership. Start-up does not wait for the informers: a
   * cluster without the ModelDeployment CRD still serves /healthz, and /readyz says why it is
   * not ready.
   */
  private async begin(): Promise<void> {
    await this.refresh.reload();
    this.synced = Promise.all([this.nodeInformer.start(), this.podInformer.start(), this.mdInformer.start()]).then(
      () => undefined,
    );
    this.scheduler.start();
    this.synced.then(
      () => {
        if (!this.stopped) this.leadership.start();
      },
      () => undefined, // stopped before it synced (shutdown)
    );
  }

  /** A new leader: a current inventory, the placements rebuilt from PostgreSQL, then the controller and reconciliation. */
  private async activate(): Promise<void> {
    // No wait for the informers here: nobody campaigns before they have listed (begin()).
    await this.refresh.reload();
    await this.scheduler.activate();
    // The load ran before the engine existed: give it what the Node objects say now.
    this.nodeHealth.reapplyAll();
    if (!this.leadership.leading) return;
    this.controller.start();
    this.refresh.startReconciling();
  }

  private deactivate(): void {
    this.refresh.stopReconciling();
    this.scheduler.deactivate();
    void this.controller.stop();
  }

  private nodeChanged(node: NodeObject): void {
    this.nodeSync.nodeSeen(node, this.leadership.leading);
    this.nodeHealth.apply(node);
  }

  /** A full inventory load now (tests, and callers that just wrote nodes or a topology). */
  refreshInventory(): Promise<void> {
    return this.refresh.reload();
  }

  /** ModelDeployments as the informer holds them (every replica, leader or not). */
  listDeployments(): ModelDeploymentObject[] {
    return this.mdInformer.list();
  }

  getDeployment(namespace: string, name: string): ModelDeploymentObject | undefined {
    return this.mdInformer.get(name, namespace);
  }

  getPod(namespace: string, name: string): PodObject | undefined {
    return this.podInformer.get(name, namespace);
  }

  get isLeader(): boolean {
    return this.leadership.isLeader;
  }

  get identity(): string {
    return this.leadership.identity;
  }

  get leader(): string | undefined {
    return this.leadership.leader;
  }

  /**
   * For /readyz: every replica serves reads once its informers have listed and its inventory
   * loaded, as long as some replica leads. Not ready, with the reason, when it can neither
   * lead nor follow: an informer that cannot list (the CRD not installed?), an inventory that
   * cannot be loaded, or no leader for longer than a lease.
   */
  readinessCheck(): { name: string; check(): Promise<{ ok: boolean; detail?: string }> } {
    return {
      name: 'kubernetes',
      check: async () => {
        const informers: [string, { hasSynced: boolean }][] = [
          ['pods', this.podInformer],
          ['nodes', this.nodeInformer],
          ['modeldeployments (is the CRD installed?)', this.mdInformer],
        ];
        const waiting = informers.filter(([, informer]) => !informer.hasSynced).map(([name]) => name);
        const role = this.isLeader ? `leader (${this.identity})` : `follower (leader: ${this.leader ?? 'none'})`;
        const problems = [
          ...(waiting.length > 0 ? [`informers not synced: ${waiting.join(', ')}`] : []),
          ...(this.refresh.problem ? [this.refresh.problem] : []),
          ...(waiting.length === 0 && !this.leadership.leaderAlive() ? ['no leader holds the Lease'] : []),
        ];
        return {
          ok: problems.length === 0,
          detail: `${problems.length === 0 ? 'informers synced' : problems.join('; ')}; ${role}`,
        };
      },
    };
  }

  /**
   * Stop the way `kill -9` would, as far as other replicas can tell: no Lease release (it
   * must expire), nothing flushed to the database, nothing more sent to the API.
   */
  async halt(): Promise<void> {
    this.stopped = true;
    this.refresh.stop();
    this.state.close();
    this.scheduler.halt();
    this.events.close(); // queued events are dropped, none sent after the "kill"
    await Promise.all([
      this.leadership.stop(false),
      this.controller.stop(),
      this.podInformer.stop(),
      this.nodeInformer.stop(),
      this.mdInformer.stop(),
    ]).catch(() => undefined);
  }

  /** Graceful stop: release the Lease (a follower takes over at once), stop loops, close the embedded API. */
  async close(options: { releaseLease?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.refresh.stop();
    this.state.close();
    await this.leadership.stop(options.releaseLease !== false);
    await this.controller.stop();
    await this.scheduler.stop();
    // After the last scheduling step: what is still queued is dropped, nothing is sent after shutdown.
    this.events.close();
    await Promise.all([this.podInformer.stop(), this.nodeInformer.stop(), this.mdInformer.stop()]).catch(
      () => undefined,
    );
    await this.nodeSync.idle();
    await this.sim?.close();
  }
}

export interface ControlPlaneKubernetesOptions {
  /** The validated `kubernetes` part of the control-plane configuration. */
  readonly kubernetes?: KubernetesConfig;
  /** Only when `kubernetes` is not given: the environment, validated by the same rules. */
  readonly env?: NodeJS.ProcessEnv;
  readonly dataDir: string;
  /** The topology the embedded API simulates (the demo topology by default). */
  readonly topologyFile: string | undefined;
  readonly inventory: Inventory;
  readonly logger: SchedulingLogger & KubeLogger;
  readonly registry?: MetricsRegistry;
  readonly print?: (line: string) => void;
}

/**
 * What `startControlPlane` calls: the embedded API (no KUBECONFIG, not in a cluster) or the
 * configured cluster, with the scheduler and controller; null with SWITCHYARD_KUBERNETES=off.
 */
export async function startKubernetesForControlPlane(
  options: ControlPlaneKubernetesOptions,
): Promise<KubernetesRuntime | null> {
  const config = options.kubernetes ?? loadKubernetesConfig(options.env ?? {});
  const connection = kubernetesConnectionFor(config, options.dataDir, options.topologyFile);
  if (!connection) return null;
  const leaderElection = {
    ...(config.leaseDurationMs ? { leaseDurationMs: config.leaseDurationMs } : {}),
    ...(config.renewDeadlineMs ? { renewDeadlineMs: config.renewDeadlineMs } : {}),
    ...(config.retryPeriodMs ? { retryPeriodMs: config.retryPeriodMs } : {}),
  };
  const runtime = await KubernetesRuntime.start({
    inventory: options.inventory,
    logger: options.logger,
    ...(options.registry ? { registry: options.registry } : {}),
    connection,
    leaderElection,
    ...(config.podNamespace ? { leaseNamespace: config.podNamespace } : {}),
    ...(config.podName ? { identity: `${config.podName}-${randomBytes(3).toString('hex')}` } : {}),
  });
  const print = options.print ?? (() => undefined);
  if (runtime.kubeconfigPath) {
    print(`  Kubernetes: embedded API at ${runtime.sim?.url} (simulated GPU nodes)`);
    print(`  Try:     kubectl --kubeconfig ${runtime.kubeconfigPath} apply -f deploy/examples/modeldeployment.yaml`);
    print(`           kubectl --kubeconfig ${runtime.kubeconfigPath} get md`);
  } else print(`  Kubernetes: ${runtime.cluster.server}`);
  return runtime;
}
