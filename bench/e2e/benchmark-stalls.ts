/**
 * Event-loop stalls, `/healthz` latency and leader takeover at campus scale, on the code path
 * production runs: each control plane is `startControlPlane` (HTTP app and Kubernetes runtime in
 * one process, bench/e2e/control-plane-process.ts) configured by its environment: DATABASE_URL
 * with a throw-away `?schema=` on the real PostgreSQL (DATABASE_URL, else TEST_DATABASE_URL,
 * else the local test server), KUBECONFIG pointing at the embedded API in another process with
 * the preset's simulated nodes, SWITCHYARD_SEED_TOPOLOGY with the preset's topology file.
 *
 *   node test/e2e/processes/run-ts.js bench/e2e/benchmark-stalls.ts --preset campus-200mw --pods 24000 [--json]
 *     [--rate 400] [--fill 100000] [--takeovers release,kill] [--idle-seconds 30]
 *     [--cpu-prof DIR]   CPU profiles of the control planes that exit gracefully (`release` stops one)
 *     [--samples FILE]   every sample as JSON (lag windows with their longest gap, /healthz, scrapes)
 *   (or: npx switchyard bench stalls ...)
 *
 * 1. Load: the e2e pod mix created at `--rate` pods/s (32 creators, bench/e2e/load-generator-process.ts),
 *    then `--idle-seconds` with nothing to do; then the cluster filled to `--fill` pods (half- and
 *    quarter-GPU pods, as fast as they go) and idle again.
 * 2. Throughout, inside the leader: `monitorEventLoopDelay({ resolution: 10 })`, maximum per 5 s
 *    window, reset each window; from this process: `GET /healthz` every 200 ms (new connection
 *    each) and `nodejs_eventloop_lag_max_seconds` scraped from `/metrics` every 5 s.
 * 3. Takeover per `--takeovers` entry: a follower is started and waits until `/readyz` answers
 *    200 (informers listed, inventory loaded); the leader is stopped (`release`: SIGTERM, a
 *    graceful close that releases the Lease; `kill`: SIGKILL, the Lease must expire); when the
 *    follower logs 'became leader' a new pod is created, and the times from that log line to
 *    its inventory load, its scheduler rebuild and the pod's bind (polled every 10 ms) are taken.
 */
import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { generateTopology, isTopologyPreset, presetTopologyYaml, type TopologyPreset } from '@switchyard/contracts';
import { SwitchyardCluster, type PodObject } from '@switchyard/kube';
import { applyModelDeploymentCrd } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import { percentile } from '../figures';
import {
  benchDatabaseUrl,
  dropSchema,
  runAsEntry,
  startLoadGenerator,
  startSimProcess,
  stopChild,
} from './bench-processes';
import { startControlPlaneChild, type ControlPlaneChild, type LagWindow } from './control-plane-child';
import type { BenchPodMix } from './pod-shapes';
import { BENCH_POD_SHAPES, benchPod } from './pod-shapes';
import { healthzProbe, lagScrape, summarise, type LatencySummary, type Poller } from './stall-probes';

export type TakeoverMode = 'release' | 'kill';

export interface StallBenchOptions {
  readonly preset: TopologyPreset;
  /** Pods of the e2e mix created under load. */
  readonly pods: number;
  /** Pods created per second under load (default 400). */
  readonly ratePerSecond?: number;
  /** Pods placed in all before the takeovers (default 100,000; no fill when not above `pods`). */
  readonly fillPods?: number;
  readonly takeovers?: readonly TakeoverMode[];
  /** Seconds with nothing to do after each load (default 30). */
  readonly idleSeconds?: number;
  readonly databaseUrl?: string;
  readonly cpuProfileDir?: string;
  /** Write every sample (lag windows per process, /healthz answers, scrapes, phases) to this JSON file. */
  readonly samplesFile?: string;
  readonly log?: (line: string) => void;
}

/** One stretch of the run, and what the leader's event loop and its `/healthz` did in it. */
export interface PhaseFigures {
  readonly phase: string;
  /** Epoch milliseconds. */
  readonly from: number;
  readonly to: number;
  readonly seconds: number;
  readonly pods?: number;
  readonly podsPerSecond?: number;
  readonly p99BindMillis?: number;
  /** Per-window maximum of the leader's event-loop delay (5 s windows); `atOrAbove` counts windows >= 100 ms. */
  readonly lagWindows: LatencySummary;
  /**
   * Per-window longest gap between two 10 ms ticks, less the 10 ms, in ms: the same stall seen
   * without the histogram, whose reset drops a delay not yet recorded (it records a stall only
   * at its next tick); `atOrAbove` counts windows >= 100 ms.
   */
  readonly tickGaps: LatencySummary;
  /** The window with the largest delay: its longest gap between ticks, the CPU used in it, and the loop's utilisation. */
  readonly worstWindow: {
    readonly maxMs: number;
    readonly gapMs: number;
    readonly gapCpuMs: number;
    readonly utilization: number;
  } | null;
  /** `nodejs_eventloop_lag_max_seconds` per scrape, in ms; `atOrAbove` counts scrapes >= 100 ms. */
  readonly scrapedLag: LatencySummary;
  /** Client-side `/healthz` latency; `atOrAbove` counts answers >= 50 ms. */
  readonly healthz: LatencySummary & { readonly failures: number };
}

export interface TakeoverFigures {
  readonly mode: TakeoverMode;
  readonly placedPods: number;
  /** Follower start to `/readyz` 200 (informers listed, inventory loaded). */
  readonly followerReadyMs: number;
  /** Times the old leader stepped down (a renewal not in time) while the follower started. */
  readonly leaderStepDownsBeforeStop: number;
  /** Leader stopped to the follower's 'became leader' (negative: it took the Lease before the stop). */
  readonly leaseAfterStopMs: number;
  /** From 'became leader': its inventory load done, its scheduler rebuilt (allocations adopted), the new pod created, the new pod bound. */
  readonly inventoryLoadedMs: number | null;
  readonly rebuiltMs: number | null;
  readonly podCreatedMs: number;
  /** null: not bound within BIND_TIMEOUT_MS (the figures before it say how far the takeover got). */
  readonly firstBindMs: number | null;
  readonly rebuilt: Record<string, number> | null;
  /** The new leader's worst stall (histogram maximum or tick gap) from 'became leader' to 10 s after the bind. */
  readonly lagWindowsMaxMs: number;
}

export interface StallBenchResult {
  readonly nodes: number;
  readonly phases: readonly PhaseFigures[];
  readonly takeovers: readonly TakeoverFigures[];
  /** Worst event-loop delay of this (measuring) process, so client-side latencies can be trusted. */
  readonly probeProcessLagMaxMs: number;
  readonly loadAverage: { readonly before: readonly number[]; readonly after: readonly number[] };
  readonly rssMiB: { readonly leaderMax: number };
}

const WINDOW_MS = 5000;
const LAG_LIMIT_MS = 100;
const HEALTHZ_LIMIT_MS = 50;
const BIND_TIMEOUT_MS = 300_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface LoadRun {
  readonly from: number;
  readonly to: number;
  readonly bound: number;
  readonly podsPerSecond: number;
  readonly p99BindMillis: number;
}

/** Creates `pods` through a load generator and waits until they are bound (or stop being bound for 20 s). */
async function runLoad(
  kubeconfig: string,
  pods: number,
  mix: BenchPodMix,
  namePrefix: string,
  ratePerSecond: number | undefined,
): Promise<LoadRun> {
  const load = startLoadGenerator({
    kubeconfig,
    pods,
    creators: 32,
    mix,
    namePrefix,
    ...(ratePerSecond ? { ratePerSecond } : {}),
  });
  try {
    await load.ready;
    load.go();
    let lastBound = -1;
    let lastChange = Date.now();
    for (;;) {
      const progress = await load.next();
      if (!progress) throw new Error('the load generator ended early');
      if (progress.bound !== lastBound) [lastBound, lastChange] = [progress.bound, Date.now()];
      if (progress.bound >= pods || (progress.created >= pods && Date.now() - lastChange > 20_000)) break;
    }
    const { first, created, bound } = await load.result();
    const boundAt = Object.values(bound);
    const last = Math.max(first, ...boundAt);
    const latencies = Object.entries(bound)
      .map(([name, at]) => at - (created[name] ?? at))
      .sort((a, b) => a - b);
    return {
      from: first,
      to: last,
      bound: boundAt.length,
      podsPerSecond: Math.round((boundAt.length / Math.max(1, last - first)) * 1000),
      p99BindMillis: Math.round(percentile(latencies, 99)),
    };
  } finally {
    await stopChild(load.child, 'SIGKILL');
  }
}

export async function benchmarkStalls(options: StallBenchOptions): Promise<StallBenchResult> {
  const log = options.log ?? (() => undefined);
  const url = benchDatabaseUrl(options.databaseUrl);
  const schema = `bench_stalls_${randomBytes(4).toString('hex')}`;
  const databaseUrl = new URL(url);
  databaseUrl.searchParams.set('schema', schema);
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-stalls-'));
  const loadBefore = loadavg();
  const own = monitorEventLoopDelay({ resolution: 10 });
  own.enable();
  const children: ChildProcess[] = [];
  const replicas: ChildProcess[] = [];
  const lags: { pid: number; window: LagWindow }[] = [];
  let probes: Poller[] = [];
  try {
    const topologyFile = join(dir, 'topology.yaml');
    const topologyText = presetTopologyYaml(options.preset);
    writeFileSync(topologyFile, topologyText);
    const nodes = generateTopology(options.preset).nodes.length;
    let t = Date.now();
    const sim = await startSimProcess(options.preset);
    children.push(sim.child);
    const kubeconfigFile = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigFile, sim.kubeconfig);
    const cluster = SwitchyardCluster.connect({ kind: 'yaml', yaml: sim.kubeconfig });
    await applyModelDeploymentCrd(cluster);
    log(`embedded API (${options.preset}) up in ${Date.now() - t} ms`);

    const startReplica = (): ControlPlaneChild => {
      const dataDir = join(dir, `replica-${replicas.length}`);
      mkdirSync(dataDir);
      const child = startControlPlaneChild(
        {
          ...process.env,
          DATABASE_URL: databaseUrl.toString(),
          KUBECONFIG: kubeconfigFile,
          SWITCHYARD_SEED_TOPOLOGY: topologyFile,
          SWITCHYARD_KUBERNETES: 'on',
          SWITCHYARD_DATA_DIR: dataDir,
          PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'info',
        },
        {
          windowMs: WINDOW_MS,
          ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}),
          onLag: (window) => lags.push({ pid: child.process.pid ?? 0, window }),
        },
      );
      replicas.push(child.process);
      return child;
    };

    t = Date.now();
    let leader = startReplica();
    // Listening ('up') may come after the first rebuild: the runtime starts before the HTTP app.
    await Promise.all([leader.waitFor('up', 0, 15 * 60_000), leader.waitFor('rebuilt', 0, 15 * 60_000)]);
    log(`control plane up (topology seeded from SWITCHYARD_SEED_TOPOLOGY) and leading in ${Date.now() - t} ms`);
    let target: string | null = leader.url;
    const healthz = healthzProbe(() => target);
    const scraped = lagScrape(() => target);
    probes = [healthz, scraped];
    probes.forEach((p) => p.start());

    // Figured at the end too: the lag window that straddles a phase's end arrives after it.
    const spans: { phase: string; pid: number; from: number; to: number; extra: Partial<PhaseFigures> }[] = [];
    const phases = () => spans.map(figures);
    const takeovers: TakeoverFigures[] = [];
    // Written after every phase, so a run that fails later still leaves what it measured.
    const saveSamples = () => {
      if (options.samplesFile)
        writeFileSync(
          options.samplesFile,
          JSON.stringify({ phases: phases(), takeovers, lags, healthz: healthz.samples, scraped: scraped.samples }),
        );
    };
    const figures = ({ phase, pid, from, to, extra }: (typeof spans)[number]): PhaseFigures => {
      // A window counts if it overlaps [from, to]: it ends after `from` and starts before `to`.
      const windows = lags.filter((l) => l.pid === pid && l.window.at > from && l.window.at - WINDOW_MS < to);
      const inPhase = (s: { at: number }) => s.at >= from && s.at <= to;
      const worst = windows.reduce<LagWindow | null>((w, l) => (w && w.maxMs >= l.window.maxMs ? w : l.window), null);
      const row: PhaseFigures = {
        phase,
        from,
        to,
        seconds: Math.round((to - from) / 100) / 10,
        ...extra,
        lagWindows: summarise(
          windows.map((l) => l.window.maxMs),
          LAG_LIMIT_MS,
        ),
        tickGaps: summarise(
          windows.map((l) => Math.max(0, l.window.gapMs - 10)),
          LAG_LIMIT_MS,
        ),
        worstWindow: worst && {
          maxMs: round1(worst.maxMs),
          gapMs: worst.gapMs,
          gapCpuMs: worst.gapCpuMs,
          utilization: worst.utilization,
        },
        scrapedLag: summarise(
          scraped.samples.filter(inPhase).map((s) => s.ms),
          LAG_LIMIT_MS,
        ),
        healthz: {
          ...summarise(
            healthz.samples.filter(inPhase).map((s) => s.ms),
            HEALTHZ_LIMIT_MS,
          ),
          failures: healthz.failures.filter((at) => at >= from && at <= to).length,
        },
      };
      return row;
    };
    const loadPhase = async (phase: string, pods: number, mix: BenchPodMix, rate?: number) => {
      const run = await runLoad(sim.kubeconfig, pods, mix, `${phase}-`, rate);
      const pid = leader.process.pid ?? 0;
      spans.push({
        phase,
        pid,
        from: run.from,
        to: run.to,
        extra: { pods: run.bound, podsPerSecond: run.podsPerSecond, p99BindMillis: run.p99BindMillis },
      });
      log(describePhase(figures(spans.at(-1)!)));
      saveSamples();
      const idleFrom = Date.now();
      await sleep((options.idleSeconds ?? 30) * 1000);
      spans.push({ phase: `idle after ${phase}`, pid, from: idleFrom, to: Date.now(), extra: {} });
      log(describePhase(figures(spans.at(-1)!)));
      saveSamples();
      return run.bound;
    };

    let placed = await loadPhase('load', options.pods, 'e2e', options.ratePerSecond ?? 400);
    const fill = (options.fillPods ?? 100_000) - placed;
    if (fill > 0) placed += await loadPhase('fill', fill, 'fractional');

    for (const [round, mode] of (options.takeovers ?? ['release', 'kill']).entries()) {
      const spawnedAt = Date.now();
      const follower = startReplica();
      await follower.waitFor('up', 0, 15 * 60_000);
      while ((await fetch(`${follower.url}/readyz`).catch(() => null))?.status !== 200) await sleep(250);
      const followerReadyMs = Date.now() - spawnedAt;
      const stoppedAt = Date.now();
      const old = leader;
      old.process.kill(mode === 'release' ? 'SIGTERM' : 'SIGKILL');
      // The follower may have taken the Lease already, if the leader could not renew it in time.
      await follower.waitFor('leader', spawnedAt, 120_000);
      const name = `takeover-${round}`;
      await cluster.pods.create(benchPod(name, BENCH_POD_SHAPES[0]));
      const createdAt = Date.now();
      leader = follower;
      target = follower.url;
      let boundAt = 0;
      while (!boundAt && Date.now() - createdAt < BIND_TIMEOUT_MS) {
        const pod = await cluster.connection.request<PodObject>({
          method: 'GET',
          path: `/api/v1/namespaces/default/pods/${name}`,
        });
        if (pod.spec.nodeName) boundAt = Date.now();
        else await sleep(10);
      }
      // The term that bound it: the follower's last acquisition before the bind (or before now).
      const acquired = follower.events.filter((e) => e.event === 'leader' && e.at <= (boundAt || Date.now())).at(-1)!;
      const at = (e: { at: number } | undefined) => (e ? e.at - acquired.at : null);
      const stepDowns = old.events.filter((e) => e.event === 'lost' && e.at >= spawnedAt && e.at < stoppedAt).length;
      const inventory = follower.events.find((e) => e.event === 'inventory' && e.at >= acquired.at);
      const rebuilt = follower.events.find((e) => e.event === 'rebuilt' && e.at >= acquired.at);
      if (boundAt) placed += 1;
      await old.exited;
      if (boundAt) await sleep(10_000);
      const windows = lags.filter((l) => l.pid === follower.process.pid && l.window.at > acquired.at);
      const row: TakeoverFigures = {
        mode,
        placedPods: placed,
        followerReadyMs,
        leaderStepDownsBeforeStop: stepDowns,
        leaseAfterStopMs: acquired.at - stoppedAt,
        inventoryLoadedMs: at(inventory),
        rebuiltMs: at(rebuilt),
        podCreatedMs: createdAt - acquired.at,
        firstBindMs: boundAt ? boundAt - acquired.at : null,
        rebuilt: rebuilt && 'detail' in rebuilt ? rebuilt.detail : null,
        lagWindowsMaxMs: round1(Math.max(0, ...windows.map((l) => Math.max(l.window.maxMs, l.window.gapMs - 10)))),
      };
      log(
        `takeover (${mode}, ${placed} pods placed): follower ready in ${followerReadyMs} ms (leader stepped down ${stepDowns} times meanwhile); lease ${row.leaseAfterStopMs} ms after the stop; ` +
          `from 'became leader': inventory loaded ${row.inventoryLoadedMs} ms, rebuilt ${row.rebuiltMs} ms ${JSON.stringify(row.rebuilt)}, ` +
          `pod created ${row.podCreatedMs} ms, first bind ${row.firstBindMs} ms; new leader's lag windows max ${row.lagWindowsMaxMs} ms`,
      );
      takeovers.push(row);
      saveSamples();
      if (!boundAt) {
        log(
          `takeover (${mode}): the new leader bound nothing within ${BIND_TIMEOUT_MS / 1000} s; no further takeovers`,
        );
        break;
      }
    }
    const rss = lags.map((l) => l.window.rssMiB);
    return {
      nodes,
      phases: (await sleep(WINDOW_MS + 500), phases()),
      takeovers,
      probeProcessLagMaxMs: Math.round(own.max / 1e5) / 10,
      loadAverage: { before: loadBefore.map(round1), after: loadavg().map(round1) },
      rssMiB: { leaderMax: Math.max(0, ...rss) },
    };
  } finally {
    own.disable();
    probes.forEach((p) => p.stop());
    // Control planes first, gracefully (so `--cpu-prof` writes their profiles), then whatever is left.
    const force = setTimeout(() => replicas.forEach((r) => r.kill('SIGKILL')), 60_000);
    await Promise.all(replicas.map((r) => stopChild(r, 'SIGTERM')));
    clearTimeout(force);
    for (const child of children.reverse()) await stopChild(child, 'SIGKILL');
    await dropSchema(url, schema).catch((error) => log(`could not drop schema ${schema}: ${String(error)}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** `release,kill` -> the modes; an unknown entry is an error naming it. */
export function parseTakeovers(text: string): TakeoverMode[] {
  const modes = text.split(',').filter((m) => m !== '');
  for (const m of modes) if (m !== 'release' && m !== 'kill') throw new Error(`"${m}" is neither release nor kill`);
  return modes as TakeoverMode[];
}

/** One line: the phase's pods, the leader's lag windows (and what the worst one was made of), the scrapes, /healthz. */
export function describePhase(p: PhaseFigures): string {
  const w = p.worstWindow;
  return (
    `${p.phase}: ${p.seconds} s${p.pods ? `, ${p.pods} pods bound, ${p.podsPerSecond} pods/s, p99 create-to-bind ${p.p99BindMillis} ms` : ''}; ` +
    `lag windows max ${p.lagWindows.maxMs} ms p99 ${p.lagWindows.p99Ms} ms (${p.lagWindows.atOrAbove}/${p.lagWindows.samples} >= ${LAG_LIMIT_MS} ms` +
    `${w ? `; worst: longest gap ${w.gapMs} ms with ${w.gapCpuMs} ms CPU, loop ${Math.round(w.utilization * 100)}% busy` : ''}); ` +
    `tick gaps max ${p.tickGaps.maxMs} ms (${p.tickGaps.atOrAbove}/${p.tickGaps.samples} >= ${LAG_LIMIT_MS} ms); ` +
    `scraped lag max ${p.scrapedLag.maxMs} ms (${p.scrapedLag.atOrAbove}/${p.scrapedLag.samples}); ` +
    `/healthz p50 ${p.healthz.p50Ms} p99 ${p.healthz.p99Ms} max ${p.healthz.maxMs} ms (${p.healthz.atOrAbove}/${p.healthz.samples} >= ${HEALTHZ_LIMIT_MS} ms, ${p.healthz.failures} failed)`
  );
}

/** The result as a few lines of text: one per phase and per takeover. */
export function describeStallBench(r: StallBenchResult): string {
  const takeover = (t: TakeoverFigures) =>
    `takeover ${t.mode.padEnd(7)} ${t.placedPods} pods placed: lease ${t.leaseAfterStopMs} ms after the stop; from acquiring it: ` +
    `inventory ${t.inventoryLoadedMs} ms, rebuilt ${t.rebuiltMs} ms, first bind ${t.firstBindMs} ms`;
  return [
    `${r.nodes} nodes; load average ${r.loadAverage.before.join(' ')} before, ${r.loadAverage.after.join(' ')} after`,
    ...r.phases.map(describePhase),
    ...r.takeovers.map(takeover),
  ].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (flag: string, fallback: string) => {
    const i = args.indexOf(flag);
    return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
  };
  const integer = (flag: string, fallback: string) => {
    const n = Number(value(flag, fallback));
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`${flag} must be a non-negative integer; got "${value(flag, '')}"`);
    return n;
  };
  const preset = value('--preset', 'campus-200mw');
  if (!isTopologyPreset(preset)) throw new Error(`--preset must be one of demo, campus-200mw; got "${preset}"`);
  const json = args.includes('--json');
  const cpuProfileDir = value('--cpu-prof', '') || undefined;
  const samplesFile = value('--samples', '') || undefined;
  const result = await benchmarkStalls({
    preset,
    pods: integer('--pods', '24000'),
    ratePerSecond: integer('--rate', '400'),
    fillPods: integer('--fill', '100000'),
    takeovers: parseTakeovers(value('--takeovers', 'release,kill')),
    idleSeconds: integer('--idle-seconds', '30'),
    ...(cpuProfileDir ? { cpuProfileDir } : {}),
    ...(samplesFile ? { samplesFile } : {}),
    log: (l) => console.error(l),
  });
  console.log(json ? JSON.stringify(result) : describeStallBench(result));
}

runAsEntry(module, main);
