import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { buildModelDeploymentCrd, parseTopology } from '@switchyard/contracts';
import type { Inventory } from '@switchyard/inventory';
import {
  SwitchyardCluster,
  type KubeConfigSource,
  type KubeLogger,
  type EventRecorder,
  type LeaseLeaderElector,
  type ModelDeploymentObject,
  type NodeObject,
  type PodObject,
  type ResourceInformer,
} from '@switchyard/kube';
import { startKubeSim, type KubeSim } from '@switchyard/kube-sim';
import type { Registry } from 'prom-client';
import { parse, stringify } from 'yaml';
import { loadKubernetesConfig, type KubernetesConfig } from '../config/control-plane-config';
import { isPodTerminal, SCHEDULER_NAME } from '../scheduling/pod-model';
import { PodScheduler, type PodSchedulerOptions } from '../scheduling/pod-scheduler';
import type { SchedulingLogger } from '../scheduling/scheduling-ports';
import { InventoryAllocationLedger, loadClusterInventory } from './inventory-ledger';
import { KubeSchedulingCluster } from './kube-scheduling-cluster';
import { ModelDeploymentController } from './model-deployment-controller';
import { NodeInventorySync, nodeReady } from './node-inventory-sync';
import { NodeMetrics } from './node-metrics';
import { SchedulingMetrics } from './scheduling-metrics';

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
  readonly registry?: Registry;
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
  /** How often budgets, overrides, nodes and tenants are re-read from PostgreSQL. */
  readonly inventoryRefreshMs?: number;
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
 * Everything Kubernetes-facing in one process: the connection (or the embedded API), the
 * informers for pods, nodes and ModelDeployments, the scheduler and the controller (acting
 * only while this replica holds the Lease), inventory sync from Node objects, metrics and
 * the leadership readiness detail.
 */
export class KubernetesRuntime {
  readonly scheduler: PodScheduler;
  readonly controller: ModelDeploymentController;
  readonly metrics: SchedulingMetrics | null;
  readonly nodeSync: NodeInventorySync;
  private readonly nodeMetrics: NodeMetrics | null;
  private readonly events: EventRecorder;
  private readonly ledger: InventoryAllocationLedger;
  private readonly elector: LeaseLeaderElector;
  private readonly podInformer: ResourceInformer<PodObject>;
  private readonly nodeInformer: ResourceInformer<NodeObject>;
  private readonly mdInformer: ResourceInformer<ModelDeploymentObject>;
  private refreshTimer: NodeJS.Timeout | null = null;
  private refreshSoon: NodeJS.Timeout | null = null;
  /** Set by halt() and close(): no refresh may be armed after them. */
  private stopped = false;
  private readonly nodeState = new Map<string, string>();
  /** Nodes whose pods have been reported NotReady (until the node is Ready again). */
  private readonly reportedNotReady = new Set<string>();
  private leading = false;
  private activation: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: KubernetesRuntimeOptions,
    readonly cluster: SwitchyardCluster,
    readonly sim: KubeSim | null,
    readonly kubeconfigPath: string | null,
  ) {
    const log = options.logger;
    this.metrics = options.registry ? new SchedulingMetrics(options.registry) : null;
    this.nodeMetrics = options.registry ? new NodeMetrics(options.registry) : null;
    const informerOptions = { logger: log, ...(this.metrics ? { metrics: this.metrics } : {}) };
    this.podInformer = cluster.podInformer({
      ...informerOptions,
      fieldSelector: `spec.schedulerName=${SCHEDULER_NAME}`,
    });
    this.nodeInformer = cluster.nodeInformer(informerOptions);
    this.mdInformer = cluster.modelDeployments.informer(informerOptions);
    const identity = options.identity ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.ledger = new InventoryAllocationLedger(options.inventory);
    const events = cluster.eventRecorder({
      component: 'switchyard-scheduler',
      instance: identity,
      logger: log,
      onDropped: (reason) => this.metrics?.eventDropped(reason),
    });
    this.events = events;
    this.nodeSync = new NodeInventorySync({
      inventory: options.inventory,
      events,
      logger: log,
      onInventoryChanged: () => this.scheduleRefresh(),
      onBlockedChanged: (name) => {
        const node = this.nodeInformer.get(name);
        if (node) this.applyNodeCondition(node, true);
      },
      onSynced: (result) => this.nodeMetrics?.nodeSynced(result),
    });
    this.scheduler = new PodScheduler({
      ledger: this.ledger,
      cluster: new KubeSchedulingCluster(cluster, events, log),
      logger: log,
      ...(this.metrics ? { metrics: this.metrics } : {}),
      options: options.scheduler ?? {},
    });
    this.controller = new ModelDeploymentController({
      cluster,
      deployments: this.mdInformer,
      pods: this.podInformer,
      scheduler: this.scheduler,
      inventory: options.inventory,
      logger: log,
      onDeploymentId: (key, id) => this.ledger.rememberDeployment(key, id),
      nodeProblem: (name) => this.nodeProblem(name),
    });
    this.podInformer.addHandlers({
      onAdd: (pod) => this.scheduler.podChanged(pod),
      onUpdate: (pod, previous) => {
        this.scheduler.podChanged(pod);
        // Bound to a node already reported NotReady (decided just before it went): report this pod too.
        const node = pod.spec.nodeName;
        if (node && !previous.spec.nodeName && this.leading && this.reportedNotReady.has(node))
          this.reportPods(node, 'NodeNotReady', notReadyMessage(node), [pod]);
      },
      onDelete: (pod) => this.scheduler.podDeleted(pod),
    });
    this.nodeInformer.addHandlers({
      onAdd: (n) => this.nodeChanged(n),
      onUpdate: (n) => this.nodeChanged(n),
      onDelete: (n) => this.nodeRemoved(n),
    });
    this.elector = cluster.leaderElector({
      namespace: options.leaseNamespace ?? 'default',
      leaseName: options.leaseName ?? 'switchyard-scheduler',
      identity,
      logger: log,
      ...(options.leaderElection ?? {}),
      callbacks: {
        onStartedLeading: () => this.startLeading(),
        onStoppedLeading: () => this.stopLeading(),
      },
    });
  }

  static async start(options: KubernetesRuntimeOptions): Promise<KubernetesRuntime> {
    let sim: KubeSim | null = null;
    let kubeconfigPath: string | null = null;
    let cluster: SwitchyardCluster;
    if (options.connection.kind === 'embedded') {
      const c = options.connection;
      sim = await startKubeSim({
        port: c.port ?? 0,
        topology: parseTopology(readFileSync(c.topologyFile, 'utf8')),
        kubeletDelayMs: c.kubeletDelayMs ?? 500,
        tls: false,
      });
      mkdirSync(c.dataDir, { recursive: true });
      kubeconfigPath = join(c.dataDir, 'kubeconfig');
      await sim.writeKubeconfig(kubeconfigPath);
      cluster = SwitchyardCluster.connect({ kind: 'yaml', yaml: allowPlainHttp(sim.kubeconfig()) });
      await applyModelDeploymentCrd(cluster);
    } else cluster = SwitchyardCluster.connect(options.connection.source);
    const runtime = new KubernetesRuntime(options, cluster, sim, kubeconfigPath);
    try {
      await runtime.begin();
    } catch (error) {
      await runtime.close();
      throw error;
    }
    return runtime;
  }

  private async begin(): Promise<void> {
    await this.refreshInventory();
    await Promise.all([this.nodeInformer.start(), this.podInformer.start(), this.mdInformer.start()]);
    this.scheduler.start();
    this.elector.start();
    this.refreshTimer = setInterval(
      () =>
        void this.refreshInventory().catch((e) =>
          this.options.logger.warn({ err: String(e) }, 'inventory refresh failed'),
        ),
      this.options.inventoryRefreshMs ?? 15_000,
    );
    this.refreshTimer.unref();
  }

  /**
   * Re-read nodes, budgets (overrides in force now) and tenants; the scheduler retries waiting
   * pods. The leader then writes Node objects that disagree with the inventory (and removes
   * deleted ones that no allocation holds any more).
   */
  async refreshInventory(): Promise<void> {
    const [loaded] = await Promise.all([loadClusterInventory(this.options.inventory), this.nodeSync.reload()]);
    this.ledger.setReferences({ tenants: loaded.tenantIds });
    this.scheduler.setInventory(loaded);
    const nodes = this.nodeInformer.hasSynced ? this.nodeInformer.list() : [];
    for (const node of nodes) {
      this.nodeSync.nodeSeen(node, this.leading);
      this.applyNodeCondition(node, true);
    }
    if (this.leading) this.nodeSync.retryRemovals();
  }

  /** A refresh shortly after a burst of inventory writes (one for the burst). */
  private scheduleRefresh(): void {
    if (this.refreshSoon || this.stopped) return;
    this.refreshSoon = setTimeout(() => {
      this.refreshSoon = null;
      void this.refreshInventory().catch((e) =>
        this.options.logger.warn({ err: String(e) }, 'inventory refresh failed'),
      );
    }, 200);
    this.refreshSoon.unref();
  }

  private startLeading(): void {
    this.leading = true;
    this.metrics?.setLeader(true);
    this.options.logger.info({ identity: this.elector.identity }, 'became leader: rebuilding and scheduling');
    this.activation = this.activation
      .then(async () => {
        await this.refreshInventory();
        await this.scheduler.activate();
        // The refresh ran before the engine existed: give it what the Node objects say now.
        if (this.nodeInformer.hasSynced)
          for (const node of this.nodeInformer.list()) this.applyNodeCondition(node, true);
        if (this.leading) this.controller.start();
        else this.scheduler.deactivate();
      })
      .catch((error) => {
        this.options.logger.error(
          { err: String((error as Error)?.stack ?? error) },
          'could not take over; stepping down',
        );
        void this.elector.stop({ release: true });
      });
  }

  private stopLeading(): void {
    this.leading = false;
    this.metrics?.setLeader(false);
    this.scheduler.deactivate();
    void this.controller.stop();
    this.options.logger.warn({ identity: this.elector.identity }, 'lost leadership: stopped scheduling');
  }

  private nodeChanged(node: NodeObject): void {
    this.nodeSync.nodeSeen(node, this.leading);
    this.applyNodeCondition(node);
  }

  /** A Node object was deleted: nothing more goes there; its pods are reported; see NodeInventorySync.nodeDeleted. */
  private nodeRemoved(node: NodeObject): void {
    const name = node.metadata.name;
    this.nodeState.delete(name);
    this.reportedNotReady.delete(name);
    this.scheduler.setNodeCondition(name, { ready: false, schedulable: false });
    this.nodeSync.nodeDeleted(node, this.leading);
    if (this.leading)
      this.reportPods(
        name,
        'NodeDeleted',
        `node ${name} was deleted: no new pods go there; this pod keeps its GPUs and power budget until it is deleted (Kubernetes' pod garbage collector removes pods of deleted nodes)`,
      );
    this.updateNotReadyGauge();
  }

  /** Why a node cannot run pods now (NotReady, deleted), for the ModelDeployment status; undefined when it can. */
  private nodeProblem(name: string): string | undefined {
    const node = this.nodeInformer.get(name);
    if (!node) return this.nodeInformer.hasSynced ? `node ${name} was deleted` : undefined;
    return nodeReady(node) ? undefined : `node ${name} is NotReady`;
  }

  /**
   * Node readiness and cordon (and whether its Node object could be synced) into the engine
   * and, when they change, into PostgreSQL. When a node goes NotReady, each of its pods gets a
   * Warning Event saying what happens to it, and the leader counts them.
   */
  private applyNodeCondition(node: NodeObject, force = false): void {
    const name = node.metadata.name;
    const ready = nodeReady(node);
    const schedulable = !node.spec?.unschedulable && !this.nodeSync.isBlocked(name);
    const state = `${ready}/${schedulable}`;
    const previous = this.nodeState.get(name);
    // Heartbeats change nothing; only a change of readiness or cordon reaches the engine.
    if (previous === state && !force) return;
    this.scheduler.setNodeCondition(name, { ready, schedulable });
    if (ready) this.reportedNotReady.delete(name);
    else if (this.leading && !this.reportedNotReady.has(name)) {
      this.reportedNotReady.add(name);
      this.reportPods(name, 'NodeNotReady', notReadyMessage(name));
    }
    if (previous === state) return;
    this.nodeState.set(name, state);
    this.updateNotReadyGauge();
    if (previous === undefined && ready && schedulable) return; // first sight of a healthy node: nothing to record
    if (!this.nodeSync.knows(name)) return; // not in the inventory (yet): nothing to update
    void this.options.inventory.nodes
      .updateStatus(name, {
        schedulable: !node.spec?.unschedulable,
        health: ready ? 'healthy' : 'unhealthy',
        lastSeenAt: new Date(),
      })
      .catch((error: unknown) =>
        this.options.logger.warn({ node: name, err: String(error) }, 'could not record the node status'),
      );
  }

  /** A Warning Event on each live pod bound to `nodeName`, and the metric. */
  private reportPods(
    nodeName: string,
    reason: 'NodeNotReady' | 'NodeDeleted',
    message: string,
    pods: PodObject[] = this.podInformer.list(),
  ): void {
    const affected = pods.filter((p) => p.spec.nodeName === nodeName && !isPodTerminal(p));
    for (const pod of affected)
      this.events.emit(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          namespace: pod.metadata.namespace ?? 'default',
          name: pod.metadata.name,
          ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}),
        },
        'Warning',
        reason,
        message,
      );
    this.nodeMetrics?.podsAffected(reason, affected.length);
    if (affected.length > 0)
      this.options.logger.warn(
        { node: nodeName, reason, pods: affected.map((p) => `${p.metadata.namespace}/${p.metadata.name}`) },
        message,
      );
  }

  private updateNotReadyGauge(): void {
    let count = 0;
    for (const state of this.nodeState.values()) if (state.startsWith('false/')) count += 1;
    this.nodeMetrics?.setNotReady(count);
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
    return this.elector.isLeader();
  }

  get identity(): string {
    return this.elector.identity;
  }

  get leader(): string | undefined {
    return this.elector.currentLeader();
  }

  /** For /readyz: every replica serves reads, so this is ok once the informers have synced; the detail says who leads. */
  readinessCheck(): { name: string; check(): Promise<{ ok: boolean; detail?: string }> } {
    return {
      name: 'kubernetes',
      check: async () => {
        const synced = this.podInformer.hasSynced && this.nodeInformer.hasSynced && this.mdInformer.hasSynced;
        const role = this.isLeader ? `leader (${this.identity})` : `follower (leader: ${this.leader ?? 'none'})`;
        return { ok: synced, detail: `${synced ? 'informers synced' : 'informers syncing'}; ${role}` };
      },
    };
  }

  /**
   * Stop the way `kill -9` would, as far as other replicas can tell: no Lease release (it
   * must expire), nothing flushed to the database, nothing more sent to the API.
   */
  async halt(): Promise<void> {
    this.stopped = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    if (this.refreshSoon) clearTimeout(this.refreshSoon);
    this.leading = false;
    this.scheduler.halt();
    this.events.close(); // queued events are dropped, none sent after the "kill"
    await Promise.all([
      this.elector.stop({ release: false }),
      this.controller.stop(),
      this.podInformer.stop(),
      this.nodeInformer.stop(),
      this.mdInformer.stop(),
    ]).catch(() => undefined);
  }

  /** Graceful stop: release the Lease (a follower takes over at once), stop loops, close the embedded API. */
  async close(options: { releaseLease?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    if (this.refreshSoon) clearTimeout(this.refreshSoon);
    await this.elector.stop({ release: options.releaseLease !== false }).catch(() => undefined);
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

function notReadyMessage(nodeName: string): string {
  return `node ${nodeName} is NotReady: no new pods go there; this pod keeps its GPUs and power budget (its allocation) until it is deleted or the node is Ready again`;
}

/** Create the ModelDeployment CRD (generated from the contract) unless it exists; for the embedded API. */
export async function applyModelDeploymentCrd(cluster: SwitchyardCluster): Promise<void> {
  try {
    await cluster.connection.request({
      method: 'POST',
      path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      body: buildModelDeploymentCrd(),
    });
  } catch (error) {
    if ((error as { status?: number }).status !== 409) throw error;
  }
  // The API serves the new resource once it is established; wait for its discovery entry.
  for (let i = 0; i < 50; i += 1) {
    try {
      await cluster.modelDeployments.list();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * client-node 1.4.0 refuses an `http://` server unless the cluster entry says
 * `insecure-skip-tls-verify: true` (test/kube/SIM-GAPS.md #1); kubectl does not need it.
 */
function allowPlainHttp(kubeconfig: string): string {
  const doc = parse(kubeconfig) as { clusters?: { cluster: Record<string, unknown> }[] };
  for (const c of doc.clusters ?? [])
    if (String(c.cluster.server).startsWith('http:')) c.cluster['insecure-skip-tls-verify'] = true;
  return stringify(doc);
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
  readonly registry?: Registry;
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
