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
  type LeaseLeaderElector,
  type ModelDeploymentObject,
  type NodeObject,
  type PodObject,
  type ResourceInformer,
} from '@switchyard/kube';
import { startKubeSim, type KubeSim } from '@switchyard/kube-sim';
import type { Registry } from 'prom-client';
import { parse, stringify } from 'yaml';
import { isPodTerminal, SCHEDULER_NAME } from '../scheduling/pod-model';
import { PodScheduler, type PodSchedulerOptions } from '../scheduling/pod-scheduler';
import type { SchedulingLogger } from '../scheduling/scheduling-ports';
import { InventoryAllocationLedger, loadClusterInventory } from './inventory-ledger';
import { KubeSchedulingCluster } from './kube-scheduling-cluster';
import { ModelDeploymentController } from './model-deployment-controller';
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
 * credentials inside a pod, else the embedded API with the demo topology.
 */
export function kubernetesConnectionFromEnv(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  topologyFile: string | undefined,
): KubernetesConnection | null {
  if (env.SWITCHYARD_KUBERNETES === 'off') return null;
  if (env.KUBECONFIG) return { kind: 'cluster', source: { kind: 'file', path: env.KUBECONFIG } };
  if (env.KUBERNETES_SERVICE_HOST) return { kind: 'cluster', source: { kind: 'in-cluster' } };
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
  private readonly ledger: InventoryAllocationLedger;
  private readonly elector: LeaseLeaderElector;
  private readonly podInformer: ResourceInformer<PodObject>;
  private readonly nodeInformer: ResourceInformer<NodeObject>;
  private readonly mdInformer: ResourceInformer<ModelDeploymentObject>;
  private refreshTimer: NodeJS.Timeout | null = null;
  private readonly unknownNodes = new Set<string>();
  private readonly nodeState = new Map<string, string>();
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
    const informerOptions = { logger: log, ...(this.metrics ? { metrics: this.metrics } : {}) };
    this.podInformer = cluster.podInformer({
      ...informerOptions,
      fieldSelector: `spec.schedulerName=${SCHEDULER_NAME}`,
    });
    this.nodeInformer = cluster.nodeInformer(informerOptions);
    this.mdInformer = cluster.modelDeployments.informer(informerOptions);
    const identity = options.identity ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.ledger = new InventoryAllocationLedger(options.inventory);
    const events = cluster.eventRecorder({ component: 'switchyard-scheduler', instance: identity, logger: log });
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
    });
    this.podInformer.addHandlers({
      onAdd: (pod) => this.scheduler.podChanged(pod),
      onUpdate: (pod) => this.scheduler.podChanged(pod),
      onDelete: (pod) => this.scheduler.podDeleted(pod),
    });
    this.nodeInformer.addHandlers({ onAdd: (n) => this.nodeChanged(n), onUpdate: (n) => this.nodeChanged(n) });
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

  /** Re-read nodes, budgets (overrides in force now) and tenants; the scheduler retries waiting pods. */
  async refreshInventory(): Promise<void> {
    const loaded = await loadClusterInventory(this.options.inventory);
    this.ledger.setReferences({ tenants: loaded.tenantIds });
    this.scheduler.setInventory(loaded);
    for (const node of this.nodeInformer.hasSynced ? this.nodeInformer.list() : []) this.applyNodeCondition(node, true);
  }

  private startLeading(): void {
    this.leading = true;
    this.metrics?.setLeader(true);
    this.options.logger.info({ identity: this.elector.identity }, 'became leader: rebuilding and scheduling');
    this.activation = this.activation
      .then(async () => {
        await this.refreshInventory();
        await this.scheduler.activate();
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
    this.applyNodeCondition(node);
  }

  /** Node readiness and cordon into the engine and (when they change) into PostgreSQL; a NotReady node's pods are reported. */
  private applyNodeCondition(node: NodeObject, force = false): void {
    const name = node.metadata.name;
    const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    const schedulable = !node.spec?.unschedulable;
    const state = `${ready}/${schedulable}`;
    const previous = this.nodeState.get(name);
    // Heartbeats change nothing; only a change of readiness or cordon reaches the engine.
    if (previous === state && !force) return;
    this.scheduler.setNodeCondition(name, { ready, schedulable });
    if (previous === state) return;
    this.nodeState.set(name, state);
    if (previous === undefined && ready && schedulable) return; // first sight of a healthy node: nothing to record
    void this.options.inventory.nodes
      .updateStatus(name, { schedulable, health: ready ? 'healthy' : 'unhealthy', lastSeenAt: new Date() })
      .catch((error: unknown) => {
        if (!this.unknownNodes.has(name)) {
          this.unknownNodes.add(name);
          this.options.logger.warn(
            { node: name, err: String(error) },
            'node is not in the inventory; import it with the topology to schedule on it',
          );
        }
      });
    if (!ready && this.leading) {
      const affected = this.podInformer.list().filter((p) => p.spec.nodeName === name && !isPodTerminal(p));
      this.options.logger.warn(
        { node: name, pods: affected.map((p) => `${p.metadata.namespace}/${p.metadata.name}`) },
        'node is NotReady: no new pods go there; its pods keep their allocations until they are deleted',
      );
    }
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
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.leading = false;
    this.scheduler.halt();
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
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    await this.elector.stop({ release: options.releaseLease !== false }).catch(() => undefined);
    await this.controller.stop();
    await this.scheduler.stop();
    await Promise.all([this.podInformer.stop(), this.nodeInformer.stop(), this.mdInformer.stop()]).catch(
      () => undefined,
    );
    await this.sim?.close();
  }
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
  readonly env: NodeJS.ProcessEnv;
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
 * Leader-election timings come from SWITCHYARD_LEASE_DURATION_MS / _RENEW_DEADLINE_MS / _RETRY_PERIOD_MS.
 */
export async function startKubernetesForControlPlane(
  options: ControlPlaneKubernetesOptions,
): Promise<KubernetesRuntime | null> {
  const connection = kubernetesConnectionFromEnv(options.env, options.dataDir, options.topologyFile);
  if (!connection) return null;
  const ms = (name: string): number | undefined => {
    const raw = options.env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`${name} must be a positive integer (milliseconds), got "${raw}"`);
    return value;
  };
  const leaderElection = {
    ...(ms('SWITCHYARD_LEASE_DURATION_MS') ? { leaseDurationMs: ms('SWITCHYARD_LEASE_DURATION_MS') } : {}),
    ...(ms('SWITCHYARD_RENEW_DEADLINE_MS') ? { renewDeadlineMs: ms('SWITCHYARD_RENEW_DEADLINE_MS') } : {}),
    ...(ms('SWITCHYARD_RETRY_PERIOD_MS') ? { retryPeriodMs: ms('SWITCHYARD_RETRY_PERIOD_MS') } : {}),
  };
  const runtime = await KubernetesRuntime.start({
    inventory: options.inventory,
    logger: options.logger,
    ...(options.registry ? { registry: options.registry } : {}),
    connection,
    leaderElection,
    ...(options.env.POD_NAMESPACE ? { leaseNamespace: options.env.POD_NAMESPACE } : {}),
    ...(options.env.POD_NAME ? { identity: `${options.env.POD_NAME}-${randomBytes(3).toString('hex')}` } : {}),
  });
  const print = options.print ?? (() => undefined);
  if (runtime.kubeconfigPath) {
    print(`  Kubernetes: embedded API at ${runtime.sim?.url} (simulated GPU nodes)`);
    print(`  Try:     kubectl --kubeconfig ${runtime.kubeconfigPath} apply -f deploy/examples/modeldeployment.yaml`);
    print(`           kubectl --kubeconfig ${runtime.kubeconfigPath} get md`);
  } else print(`  Kubernetes: ${runtime.cluster.server}`);
  return runtime;
}
