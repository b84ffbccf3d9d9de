import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { TopologyDocument } from '@switchyard/contracts';
import { ApiHttpHandler } from './api-http';
import { FaultInjector, type FaultOptions } from './fault-injector';
import { nodesFromTopology, simulatedNode } from './gpu-nodes';
import { renderKubeconfig } from './kubeconfig';
import { createServingCertificate } from './serving-certificate';
import { ObjectApi, timestamp } from './object-api';
import { ObjectStore } from './object-store';
import { ResourceRegistry } from './resource-registry';
import type { JsonObject, KubeObject } from './resource-type';
import { SimulatedKubelet, isNodeReady } from './simulated-kubelet';
import { PowerExporters } from './power/power-exporters';
import { SimulatedPower } from './power/simulated-power';

export interface KubeSimOptions {
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  host?: string;
  /** Simulated GPU nodes, one Node object per topology node. */
  topology?: TopologyDocument;
  /** How long the simulated kubelet takes to start a bound pod or finish a graceful deletion (default 50 ms). */
  kubeletDelayMs?: number;
  faults?: FaultOptions;
  /** Bearer token clients must present; a random one is generated when absent (only checked over plain HTTP when given). */
  token?: string;
  /**
   * Serve HTTPS with a generated self-signed certificate (default true). kubectl sends tokens only over TLS;
   * with `tls: false` the API is plain HTTP and, unless `token` is given, accepts unauthenticated requests.
   */
  tls?: boolean;
  /** Changes kept for watches to resume from (default 100,000); older versions answer 410 Gone. */
  historyLimit?: number;
  /** Period of BOOKMARK events on watches that allow them (default 5 s; the real apiserver uses about a minute). */
  bookmarkIntervalMs?: number;
  /** Seed of the simulated GPU load (default 1): the same seed, pods and time give the same watts. */
  powerSeed?: number;
}

export interface KubeSim {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** PEM of the serving certificate (its own CA), when serving HTTPS. */
  readonly caCertificate?: string;
  readonly store: ObjectStore;
  readonly api: ObjectApi;
  readonly faults: FaultInjector;
  readonly nodes: SimulatedNodes;
  /** What the simulated GPUs and nodes draw, served at `/exporters/dcgm/metrics` and `/exporters/ipmi/metrics`. */
  readonly power: SimulatedPower;
  /** The GPU power limit in force on a simulated GPU (the node agent's role, played by the simulated kubelet). */
  enforcedLimitWatts(nodeName: string, gpuIndex: number): number | undefined;
  kubeconfig(): string;
  writeKubeconfig(path: string): Promise<void>;
  /** Forgets the watch history, as an etcd compaction: watches from older versions get 410 Gone. */
  compactHistory(): void;
  close(): Promise<void>;
}

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Test and demo controls over the simulated nodes (what a broken kubelet or `kubectl cordon` would do). */
export class SimulatedNodes {
  constructor(
    private readonly api: ObjectApi,
    private readonly kubelet: SimulatedKubelet,
    private readonly now: () => number,
  ) {}

  /** Adds a GPU node outside the topology (tests). */
  add(
    name: string,
    options: {
      gpus?: number;
      product?: string;
      memoryMiB?: number;
      labels?: Record<string, string>;
      cpu?: string;
      memory?: string;
    } = {},
  ): KubeObject {
    const labels: Record<string, string> = {
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
      ...(options.labels ?? {}),
    };
    const resources: Record<string, string> = {
      cpu: options.cpu ?? '224',
      memory: options.memory ?? '2Ti',
      pods: '110',
    };
    if (options.gpus) {
      resources['nvidia.com/gpu'] = String(options.gpus);
      labels['nvidia.com/gpu.present'] = 'true';
      labels['nvidia.com/gpu.count'] = String(options.gpus);
      labels['nvidia.com/gpu.product'] = options.product ?? 'NVIDIA-H200';
      labels['nvidia.com/gpu.memory'] = String(options.memoryMiB ?? 143771);
    }
    const index = this.api.store.count('nodes');
    return this.api.create(
      this.api.type('', 'nodes'),
      'v1',
      '',
      simulatedNode(name, index, labels, resources, this.now()),
    );
  }

  /** Sets the node's Ready condition; a NotReady node gets the not-ready taint and its pods lose readiness. */
  setReady(name: string, ready: boolean): KubeObject {
    const node = this.api.get(this.api.type('', 'nodes'), '', name);
    if (isNodeReady(node) === ready) return node;
    const at = timestamp(this.now());
    const status = (node.status ?? {}) as Any;
    const conditions = ((status.conditions ?? []) as Any[]).map((c) =>
      c.type === 'Ready'
        ? ready
          ? {
              ...c,
              status: 'True',
              reason: 'KubeletReady',
              message: 'kubelet is posting ready status',
              lastTransitionTime: at,
              lastHeartbeatTime: at,
            }
          : {
              ...c,
              status: 'False',
              reason: 'KubeletNotReady',
              message: 'simulated: kubelet stopped posting ready status',
              lastTransitionTime: at,
            }
        : c,
    );
    const spec = { ...((node.spec ?? {}) as JsonObject) };
    const taints = ((spec.taints ?? []) as Any[]).filter((t) => t.key !== 'node.kubernetes.io/not-ready');
    if (!ready) taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule', timeAdded: at });
    if (taints.length > 0) spec.taints = taints;
    else delete spec.taints;
    const stored = this.api.commit('nodes', { ...node, spec, status: { ...status, conditions } });
    if (ready) this.kubelet.nodeBecameReady(name);
    else this.kubelet.markNodePodsNotReady(name);
    return stored;
  }

  /** `kubectl cordon` / `uncordon`: spec.unschedulable and its taint. */
  cordon(name: string, cordoned = true): KubeObject {
    const node = this.api.get(this.api.type('', 'nodes'), '', name);
    const spec = { ...((node.spec ?? {}) as JsonObject) };
    const taints = ((spec.taints ?? []) as Any[]).filter((t) => t.key !== 'node.kubernetes.io/unschedulable');
    if (cordoned) {
      spec.unschedulable = true;
      taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: timestamp(this.now()) });
    } else delete spec.unschedulable;
    if (taints.length > 0) spec.taints = taints;
    else delete spec.taints;
    return this.api.commit('nodes', { ...node, spec });
  }
}

/** Starts the embedded Kubernetes API: namespaces `default`, `kube-system`, `kube-public`, `kube-node-lease`, and the topology's nodes. */
export async function startKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  const now = Date.now;
  const store = new ObjectStore(options.historyLimit ?? 100_000);
  const registry = new ResourceRegistry();
  const api = new ObjectApi(store, registry, now);
  const faults = new FaultInjector(options.faults ?? {});
  const tls = options.tls ?? true;
  const token = options.token ?? randomBytes(24).toString('base64url');
  const host = options.host ?? '127.0.0.1';
  const certificate = tls ? await createServingCertificate(host) : undefined;
  const kubelet = new SimulatedKubelet(api, options.kubeletDelayMs ?? 50, now, options.topology?.gpuProducts);
  kubelet.start();
  const power = new SimulatedPower(store, options.topology, options.powerSeed ?? 1);
  power.start();
  const namespaces = api.type('', 'namespaces');
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
    api.create(namespaces, 'v1', '', { metadata: { name } });
  if (options.topology) {
    const nodes = api.type('', 'nodes');
    for (const node of nodesFromTopology(options.topology, now()))
      api.create(nodes, 'v1', '', node, { ownedBody: true });
  }
  const exporters = new PowerExporters(power, now);
  const enforcedToken = tls || options.token !== undefined ? token : undefined;
  const handler = new ApiHttpHandler(api, faults, {
    token: enforcedToken,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 5000,
    now,
    exporters: (req, res, pathname) => exporters.serve(req, res, pathname),
  });
  const listener = (req: IncomingMessage, res: ServerResponse): void => void handler.handle(req, res);
  const server: Server = certificate
    ? createHttpsServer({ key: certificate.key, cert: certificate.cert }, listener)
    : createServer(listener);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const kubeconfig = (): string => renderKubeconfig(url, token, certificate?.cert);
  let closed = false;
  return {
    url,
    port,
    token,
    caCertificate: certificate?.cert,
    store,
    api,
    faults,
    nodes: new SimulatedNodes(api, kubelet, now),
    power,
    enforcedLimitWatts: (nodeName, gpuIndex) => kubelet.powerLimits.enforcedLimitWatts(nodeName, gpuIndex),
    kubeconfig,
    async writeKubeconfig(path: string) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, kubeconfig(), { mode: 0o600 });
    },
    compactHistory: () => store.compact(),
    async close() {
      if (closed) return;
      closed = true;
      kubelet.stop();
      power.stop();
      api.dispose();
      faults.dropWatches(false);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
