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
import { Inventory } from '@switchyard/inventory';
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
    inventoryRefreshMs: 2000,
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
