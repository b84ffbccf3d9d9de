/**
 * End-to-end scheduling benchmark: pods created through the Kubernetes API until all are
 * bound, with the real PostgreSQL server (DATABASE_URL, else TEST_DATABASE_URL, else the local
 * test server) in a throw-away schema, the embedded API in a child process (its own core)
 * with the preset's simulated GPU nodes, and the control plane's Kubernetes runtime (leader
 * election, informers, scheduler, controller) in this process.
 *
 *   node test/e2e/processes/run-ts.js bench/e2e/benchmark-e2e.ts --preset campus-200mw --pods 20000 [--json]
 *   (or, after `npm run build`: node dist/bench/e2e/benchmark-e2e.js ...)
 *
 * podsPerSecond = pods / (last bind observed - first create sent); p99BindMillis = 99th
 * percentile of (bind observed - create answered) per pod. Pods mix fractional (250/500
 * milli), 1, 2, 4 and 8 GPUs with power predictions; a decision per pod, commits grouped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { parse, stringify } from 'yaml';
import { generateTopology, isTopologyPreset, type TopologyPreset } from '@switchyard/contracts';
import { Inventory, migrate, openDatabase } from '@switchyard/inventory';
import { SwitchyardCluster, type PodObject } from '@switchyard/kube';
import { applyModelDeploymentCrd, KubernetesRuntime } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import { percentile } from '../figures';

export interface EndToEndBenchOptions {
  readonly preset: TopologyPreset;
  readonly pods: number;
  /** Concurrent pod creations (the load generator). */
  readonly creators?: number;
  readonly databaseUrl?: string;
  readonly log?: (line: string) => void;
}

export interface EndToEndBenchResult {
  readonly nodes: number;
  readonly pods: number;
  readonly podsPerSecond: number;
  readonly p99BindMillis: number;
}

const SHAPES: { annotations: Record<string, string>; gpus?: number }[] = [
  { annotations: { 'switchyard.io/gpu-milli': '250', 'switchyard.io/watts-per-gpu': '400' } },
  { annotations: { 'switchyard.io/gpu-milli': '500', 'switchyard.io/watts-per-gpu': '500' } },
  { annotations: { 'switchyard.io/watts-per-gpu': '600' }, gpus: 1 },
  { annotations: { 'switchyard.io/watts-per-gpu': '600' }, gpus: 2 },
  { annotations: { 'switchyard.io/watts-per-gpu': '650' }, gpus: 4 },
  { annotations: { 'switchyard.io/watts-per-gpu': '650' }, gpus: 8 },
];

function repoRoot(): string {
  let dir = __dirname;
  while (
    !existsSync(join(dir, 'package.json')) ||
    !readFileSync(join(dir, 'package.json'), 'utf8').includes('"name": "switchyard"')
  ) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the Switchyard repository root');
    dir = parent;
  }
  return dir;
}

async function startSimProcess(preset: TopologyPreset): Promise<{ child: ChildProcess; kubeconfig: string }> {
  const root = repoRoot();
  const child = spawn(
    process.execPath,
    [
      join(root, 'test/e2e/processes/run-ts.js'),
      join(root, 'test/e2e/processes/sim-process.ts'),
      JSON.stringify({ preset }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`embedded API exited with ${code}`)));
  });
  const doc = parse((JSON.parse(line) as { kubeconfig: string }).kubeconfig) as {
    clusters: { cluster: Record<string, unknown> }[];
  };
  for (const c of doc.clusters)
    if (String(c.cluster.server).startsWith('http:')) c.cluster['insecure-skip-tls-verify'] = true;
  return { child, kubeconfig: stringify(doc) };
}

export async function benchmarkEndToEnd(options: EndToEndBenchOptions): Promise<EndToEndBenchResult> {
  const log = options.log ?? (() => undefined);
  const url =
    options.databaseUrl ??
    process.env.DATABASE_URL ??
    process.env.TEST_DATABASE_URL ??
    'postgresql://postgres@127.0.0.1:5432/test';
  const schema = `bench_e2e_${randomBytes(4).toString('hex')}`;
  const database = await openDatabase({ databaseUrl: url, dataDir: tmpdir(), schema, poolSize: 10 });
  let sim: ChildProcess | undefined;
  let runtime: KubernetesRuntime | undefined;
  try {
    await migrate(database);
    const inventory = new Inventory(database);
    const topology = generateTopology(options.preset);
    let t = Date.now();
    await inventory.topology.import(topology, { actor: 'bench' });
    log(`imported ${topology.nodes.length} nodes in ${Date.now() - t} ms`);
    t = Date.now();
    const started = await startSimProcess(options.preset);
    sim = started.child;
    const cluster = SwitchyardCluster.connect({ kind: 'yaml', yaml: started.kubeconfig });
    await applyModelDeploymentCrd(cluster);
    log(`embedded API with ${topology.nodes.length} nodes up in ${Date.now() - t} ms`);
    t = Date.now();
    runtime = await KubernetesRuntime.start({
      inventory,
      logger: {
        debug: () => undefined,
        info: () => undefined,
        warn: (o, m) => log(`warn: ${m} ${JSON.stringify(o)}`),
        error: (o, m) => log(`error: ${m} ${JSON.stringify(o)}`),
      },
      connection: { kind: 'cluster', source: { kind: 'yaml', yaml: started.kubeconfig } },
      inventoryRefreshMs: 600_000,
      scheduler: { batchSize: 1024, bindConcurrency: 64 },
    });
    const rt = runtime;
    while (!(rt.isLeader && rt.scheduler.isActive)) await new Promise((r) => setTimeout(r, 50));
    log(`control plane leading in ${Date.now() - t} ms`);

    const createdAt = new Map<string, number>();
    const boundAt = new Map<string, number>();
    const watcher = cluster.podInformer({ fieldSelector: 'spec.schedulerName=switchyard' });
    const seen = (pod: PodObject) => {
      if (pod.spec.nodeName && !boundAt.has(pod.metadata.name)) boundAt.set(pod.metadata.name, Date.now());
    };
    watcher.addHandlers({ onAdd: seen, onUpdate: seen });
    await watcher.start();

    const first = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: options.creators ?? 32 }, async () => {
        while (next < options.pods) {
          const i = next++;
          const shape = SHAPES[i % SHAPES.length];
          const name = `bench-${i}`;
          await cluster.pods.create({
            metadata: { name, namespace: 'default', annotations: shape.annotations },
            spec: {
              schedulerName: 'switchyard',
              containers: [
                {
                  name: 'model',
                  image: 'busybox',
                  resources: {
                    requests: { cpu: '1', memory: '4Gi' },
                    ...(shape.gpus ? { limits: { 'nvidia.com/gpu': String(shape.gpus) } } : {}),
                  },
                },
              ],
            },
          } as PodObject);
          createdAt.set(name, Date.now());
        }
      }),
    );
    log(`created ${options.pods} pods in ${Date.now() - first} ms`);
    const deadline = Date.now() + 30 * 60_000;
    while (boundAt.size < options.pods && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      const stats = rt.scheduler.stats();
      if (
        stats.placed + stats.explanations >= options.pods &&
        stats.queued === stats.explanations &&
        boundAt.size + stats.explanations >= options.pods
      )
        break;
    }
    await watcher.stop();
    const last = Math.max(...boundAt.values());
    const latencies = [...boundAt.entries()]
      .map(([name, at]) => at - (createdAt.get(name) ?? at))
      .sort((a, b) => a - b);
    const unbound = options.pods - boundAt.size;
    if (unbound > 0)
      log(`${unbound} pods not bound (they did not fit: ${rt.scheduler.stats().explanations} explained)`);
    return {
      nodes: topology.nodes.length,
      pods: boundAt.size,
      podsPerSecond: Math.round((boundAt.size / (last - first)) * 1000),
      p99BindMillis: Math.round(percentile(latencies, 99)),
    };
  } finally {
    await runtime?.close().catch(() => undefined);
    if (sim && sim.exitCode === null) {
      sim.kill('SIGTERM');
      await new Promise((r) => sim?.once('exit', r));
    }
    await database.close();
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (flag: string, fallback: string) => {
    const i = args.indexOf(flag);
    return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
  };
  const preset = value('--preset', 'demo');
  if (!isTopologyPreset(preset)) throw new Error(`--preset must be one of demo, campus-200mw; got "${preset}"`);
  const pods = Number(value('--pods', '2000'));
  if (!Number.isInteger(pods) || pods < 1)
    throw new Error(`--pods must be a positive integer; got "${value('--pods', '')}"`);
  const json = args.includes('--json');
  const result = await benchmarkEndToEnd({ preset, pods, log: json ? () => undefined : (l) => console.log(l) });
  if (json) console.log(JSON.stringify(result));
  else
    console.log(
      `${result.pods} pods bound on ${result.nodes} nodes: ${result.podsPerSecond} pods/s, p99 create-to-bind ${result.p99BindMillis} ms (${cpus().length} cores, ${cpus()[0]?.model})`,
    );
}

// Run directly (node dist/..., or through test/e2e/processes/run-ts.js, which puts the entry in argv[1]).
if (require.main === module || process.argv[1] === __filename) {
  void main().then(
    () => process.exit(0),
    (error) => {
      console.error(String((error as Error)?.stack ?? error));
      process.exit(1);
    },
  );
}
