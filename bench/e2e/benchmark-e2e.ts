/**
 * End-to-end scheduling benchmark: pods created through the Kubernetes API until all are
 * bound, with the real PostgreSQL server (DATABASE_URL, else TEST_DATABASE_URL, else the local
 * test server) in a throw-away schema, the embedded API in a child process with the preset's
 * simulated GPU nodes, the clients (pod creators and a watch that times the binds,
 * bench/e2e/load-generator-process.ts) in another, and the control plane's Kubernetes runtime
 * (leader election, informers, scheduler, controller) in this process.
 *
 *   node test/e2e/processes/run-ts.js bench/e2e/benchmark-e2e.ts --preset campus-200mw --pods 20000 [--json]
 *     [--sim-cpu-prof DIR]   (also a CPU profile of the embedded API; run this process with --cpu-prof)
 *   (or, after `npm run build`: node dist/bench/e2e/benchmark-e2e.js ...)
 *
 * podsPerSecond = pods / (last bind observed - first create sent); p99BindMillis = 99th
 * percentile of (bind observed - create answered) per pod. Pods mix fractional (250/500
 * milli), 1, 2, 4 and 8 GPUs with power predictions; a decision per pod, commits grouped.
 * The log also gives the CPU time per pod of each process while pods were being scheduled.
 */
import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, tmpdir } from 'node:os';
import { generateTopology, isTopologyPreset, type TopologyPreset } from '@switchyard/contracts';
import { Inventory, migrate, openDatabase } from '@switchyard/inventory';
import { SwitchyardCluster } from '@switchyard/kube';
import { applyModelDeploymentCrd, KubernetesRuntime } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import { percentile } from '../figures';
import {
  benchDatabaseUrl,
  cpuSnapshot,
  dropSchema,
  startLoadGenerator,
  startSimProcess,
  stopChild,
  runAsEntry,
} from './bench-processes';

export interface EndToEndBenchOptions {
  readonly preset: TopologyPreset;
  readonly pods: number;
  /** Concurrent pod creations (the load generator). */
  readonly creators?: number;
  readonly databaseUrl?: string;
  /** Write a CPU profile of the embedded API process into this directory (`--sim-cpu-prof DIR`). */
  readonly simProfileDir?: string;
  readonly log?: (line: string) => void;
}

export interface EndToEndBenchResult {
  readonly nodes: number;
  readonly pods: number;
  readonly podsPerSecond: number;
  readonly p99BindMillis: number;
}

export async function benchmarkEndToEnd(options: EndToEndBenchOptions): Promise<EndToEndBenchResult> {
  const log = options.log ?? (() => undefined);
  const url = benchDatabaseUrl(options.databaseUrl);
  const schema = `bench_e2e_${randomBytes(4).toString('hex')}`;
  const database = await openDatabase({ databaseUrl: url, dataDir: tmpdir(), schema, poolSize: 10 });
  let sim: ChildProcess | undefined;
  let runtime: KubernetesRuntime | undefined;
  let clients: ChildProcess | undefined;
  let measured = false;
  try {
    await migrate(database);
    const inventory = new Inventory(database);
    const topology = generateTopology(options.preset);
    let t = Date.now();
    await inventory.topology.import(topology, { actor: 'bench' });
    log(`imported ${topology.nodes.length} nodes in ${Date.now() - t} ms`);
    t = Date.now();
    const started = await startSimProcess(options.preset, options.simProfileDir);
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
        // Once measured, events still queued fail as the API closes: not news.
        warn: (o, m) => (measured ? undefined : log(`warn: ${m} ${JSON.stringify(o)}`)),
        error: (o, m) => log(`error: ${m} ${JSON.stringify(o)}`),
      },
      connection: { kind: 'cluster', source: { kind: 'yaml', yaml: started.kubeconfig } },
      scheduler: { batchSize: 1024, bindConcurrency: 64 },
    });
    const rt = runtime;
    while (!(rt.isLeader && rt.scheduler.isActive)) await new Promise((r) => setTimeout(r, 50));
    log(`control plane leading in ${Date.now() - t} ms`);

    const load = startLoadGenerator({
      kubeconfig: started.kubeconfig,
      pods: options.pods,
      creators: options.creators ?? 32,
    });
    clients = load.child;
    await load.ready;
    const cpuBefore = cpuSnapshot([sim.pid, clients.pid]);
    const firstTick = process.hrtime.bigint();
    load.go();
    const deadline = Date.now() + 30 * 60_000;
    let reported = false;
    for (;;) {
      const progress = await load.next();
      if (!progress) throw new Error('the load generator ended early');
      if (progress.created >= options.pods && !reported) {
        reported = true;
        log(`created ${options.pods} pods`);
      }
      const stats = rt.scheduler.stats();
      if (
        progress.bound >= options.pods ||
        Date.now() > deadline ||
        (stats.placed + stats.explanations >= options.pods &&
          stats.queued === stats.explanations &&
          progress.bound + stats.explanations >= options.pods)
      )
        break;
    }
    const cpu = cpuSnapshot([sim.pid, clients.pid]);
    const { first, created, bound } = await load.result();
    const events = await cluster.connection.request<{ items: { reason?: string }[] }>({
      method: 'GET',
      path: '/api/v1/namespaces/default/events',
    });
    measured = true;
    const createdAt = new Map(Object.entries(created));
    const boundAt = new Map(Object.entries(bound));
    const last = Math.max(...boundAt.values());
    if (options.simProfileDir) {
      // CPU profiles count time on the monotonic clock hrtime reads: this is the window to look at.
      const lastTick = firstTick + BigInt(last - first) * 1_000_000n;
      log(`profile window (monotonic us): ${firstTick / 1000n} .. ${lastTick / 1000n}`);
    }
    let postgresDelta = 0;
    for (const [pid, ms] of cpu.postgres) postgresDelta += ms - (cpuBefore.postgres.get(pid) ?? 0);
    const perPod = (ms: number) => `${((ms * 1000) / Math.max(1, boundAt.size)).toFixed(0)} us/pod`;
    log(
      `CPU while scheduling (${((last - first) / 1000).toFixed(1)} s wall): control plane ` +
        `${perPod(cpu.self - cpuBefore.self)}, embedded API ${perPod(cpu.children[0] - cpuBefore.children[0])}, ` +
        `load generator ${perPod(cpu.children[1] - cpuBefore.children[1])}, ` +
        `PostgreSQL (every server process on the machine) ${perPod(postgresDelta)}; ` +
        `${events.items.filter((e) => e.reason === 'Scheduled').length} Scheduled events written; load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}`,
    );
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
    if (clients && clients.exitCode === null) clients.kill('SIGKILL');
    await runtime?.close().catch(() => undefined);
    await stopChild(sim);
    await database.close();
    await dropSchema(url, schema);
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
  const simProfileDir = value('--sim-cpu-prof', '') || undefined;
  const result = await benchmarkEndToEnd({
    preset,
    pods,
    ...(simProfileDir ? { simProfileDir } : {}),
    log: json ? () => undefined : (l) => console.log(l),
  });
  if (json) console.log(JSON.stringify(result));
  else
    console.log(
      `${result.pods} pods bound on ${result.nodes} nodes: ${result.podsPerSecond} pods/s, p99 create-to-bind ${result.p99BindMillis} ms (${cpus().length} cores, ${cpus()[0]?.model})`,
    );
}

runAsEntry(module, main);
