/**
 * Shared pieces of the end-to-end tests: a real PostgreSQL schema with a topology imported,
 * the embedded Kubernetes API, control-plane runtimes against both, and the real kubectl.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateTopology, parseTopology, type TopologyDocument } from '@switchyard/contracts';
import { Inventory, type AllocationRecord } from '@switchyard/inventory';
import type { PodObject, SwitchyardCluster } from '@switchyard/kube';
import {
  KubernetesRuntime,
  type KubernetesRuntimeOptions,
} from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import { openTestDatabase, type TestDatabase } from '../support/database';
import { eventually as pollUntil } from '../support/eventually';

const run = promisify(execFile);
export const REPO = join(__dirname, '..', '..');
export const DEMO_TOPOLOGY_FILE = join(REPO, 'deploy/examples/topology-demo.yaml');

export const quietLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Logs warnings and errors to the console: what a failing e2e test needs to be understood. */
export const warnLogger = {
  ...quietLogger,
  warn: (obj: object, msg: string) => console.warn(msg, JSON.stringify(obj)),
  error: (obj: object, msg: string) => console.error(msg, JSON.stringify(obj)),
};

export function kubectlAvailable(): boolean {
  return ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].some((p) => existsSync(p));
}

export async function kubectl(kubeconfig: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', ['--kubeconfig', kubeconfig, ...args], {
    timeout: 30_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}

export async function kubectlJson<T>(kubeconfig: string, ...args: string[]): Promise<T> {
  return JSON.parse(await kubectl(kubeconfig, ...args, '-o', 'json')) as T;
}

/** `eventually` with slower defaults: checks here often run kubectl, a whole process each time. */
export function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  return pollUntil(check, timeoutMs, what, 100);
}

export interface E2eWorld {
  readonly db: TestDatabase;
  readonly inventory: Inventory;
  readonly topology: TopologyDocument;
  readonly topologyFile: string;
  readonly dataDir: string;
  dispose(): Promise<void>;
}

/** A migrated test schema with `topology` imported, and a temporary data directory. */
export async function openWorld(
  topology: TopologyDocument = parseTopology(readFileSync(DEMO_TOPOLOGY_FILE, 'utf8')),
  topologyFile = DEMO_TOPOLOGY_FILE,
): Promise<E2eWorld> {
  const db = await openTestDatabase();
  const inventory = new Inventory(db.database);
  await inventory.topology.import(topology, { actor: 'test' });
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
  return {
    db,
    inventory,
    topology,
    topologyFile,
    dataDir,
    async dispose() {
      await db.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Lease timings short enough for tests (the defaults are 15 s / 10 s / 2 s). */
export const FAST_LEASE = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

export function startRuntime(
  world: E2eWorld,
  connection: KubernetesRuntimeOptions['connection'],
  extra: Partial<KubernetesRuntimeOptions> = {},
): Promise<KubernetesRuntime> {
  return KubernetesRuntime.start({
    inventory: world.inventory,
    logger: warnLogger,
    connection,
    leaderElection: FAST_LEASE,
    reconcileMs: 2000,
    ...extra,
  });
}

/**
 * A runtime on the embedded Kubernetes API (seeded from `topologyFile`, by default the world's),
 * returned once it holds the lease and its scheduler runs; closed again if it never does.
 */
export async function startLeadingEmbeddedRuntime(
  world: E2eWorld,
  kubeletDelayMs: number,
  {
    topologyFile = world.topologyFile,
    extra = {},
  }: { topologyFile?: string; extra?: Partial<KubernetesRuntimeOptions> } = {},
): Promise<KubernetesRuntime> {
  const runtime = await startRuntime(
    world,
    { kind: 'embedded', dataDir: world.dataDir, topologyFile, kubeletDelayMs },
    extra,
  );
  try {
    await eventually(() => runtime.isLeader && runtime.scheduler.isActive, 15_000, 'leadership');
  } catch (error) {
    await runtime.close();
    throw error;
  }
  return runtime;
}

export { generateTopology };

/** `kubectl apply -f -` with the manifest on stdin (asynchronously: the API may run in this very process). */
export function kubectlApplyStdin(
  kubeconfig: string,
  manifest: string,
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, 'apply', '-f', '-'],
      { timeout: 30_000 },
      (error, _stdout, stderr) => {
        resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stderr });
      },
    );
    child.stdin?.end(manifest);
  });
}

/** The e2e pod mix: every third pod asks for half a GPU, the others for 1 or 2 whole GPUs. */
export function mixedPod(name: string, i: number): PodObject {
  return {
    metadata: { name, namespace: 'default', annotations: i % 3 === 0 ? { 'switchyard.io/gpu-milli': '500' } : {} },
    spec: {
      schedulerName: 'switchyard',
      containers: [
        {
          name: 'c',
          image: 'busybox',
          resources: { limits: i % 3 === 0 ? {} : { 'nvidia.com/gpu': String(1 + (i % 2)) } },
        },
      ],
    },
  } as PodObject;
}

/** Waits until exactly `count` pods named `prefix...` exist in `default`, every one bound. */
export function boundPods(
  cluster: SwitchyardCluster,
  prefix: string,
  count: number,
  timeoutMs: number,
  what: string,
): Promise<PodObject[]> {
  return eventually(
    async () => {
      const list = await cluster.connection.request<{ items: PodObject[] }>({
        method: 'GET',
        path: '/api/v1/namespaces/default/pods',
      });
      const mine = list.items.filter((p) => p.metadata.name.startsWith(prefix));
      return mine.length === count && mine.every((p) => p.spec.nodeName) ? mine : undefined;
    },
    timeoutMs,
    what,
  );
}

/** Waits until there are exactly `count` allocations, all bound unless `anyState` (bound marks are written in batches). */
export function settledAllocations(
  inventory: Inventory,
  count: number,
  timeoutMs: number,
  what: string,
  anyState = false,
): Promise<AllocationRecord[]> {
  return eventually(
    async () => {
      const rows = await inventory.allocations.all();
      return rows.length === count && (anyState || rows.every((r) => r.state === 'bound')) ? rows : undefined;
    },
    timeoutMs,
    what,
  );
}

/** The GPU indices a bound pod's `switchyard.io/gpus` annotation names. */
export function annotatedGpuIndices(pod: PodObject): number[] {
  return (pod.metadata.annotations?.['switchyard.io/gpus'] ?? '').split(',').map((e) => Number(e.split('=')[0]));
}

/** One allocation per pod, on the pod's node, with the GPUs its annotation names; no GPU shared past 1000 milli. */
export function expectAllocationsMatchPods(pods: readonly PodObject[], allocations: readonly AllocationRecord[]): void {
  const byUid = new Map(allocations.map((a) => [a.podUid, a]));
  expect(byUid.size).toBe(pods.length);
  for (const pod of pods) {
    const a = byUid.get(pod.metadata.uid as string);
    expect({ pod: pod.metadata.name, node: a?.nodeName }).toEqual({ pod: pod.metadata.name, node: pod.spec.nodeName });
    expect(annotatedGpuIndices(pod)).toEqual(a?.gpus.map((g) => g.index));
  }
  const share = new Map<string, number>();
  for (const a of allocations) for (const g of a.gpus) share.set(g.uuid, (share.get(g.uuid) ?? 0) + g.shareMilli);
  expect(Math.max(0, ...share.values())).toBeLessThanOrEqual(1000);
}
