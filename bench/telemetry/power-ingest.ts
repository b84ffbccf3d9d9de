/**
 * Ingest speed of measured power at campus scale: one read and aggregation of 120,000 GPUs and
 * 15,000 nodes from the simulated DCGM/IPMI exporters (and, with --prometheus, from a real
 * Prometheus scraping them). Targets: a read <= 1,000 ms, the event loop never blocked 100 ms.
 * The embedded API runs in this process, so the loop delay covers rendering and parsing both.
 *
 * With --separate the embedded API runs in a child process, so the figures are the reader's alone.
 *
 *   npm run build && node dist/bench/telemetry/power-ingest.js [--iterations 5] [--prometheus] [--separate] [--json]
 */
import { fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { request } from 'node:https';
import { ANNOTATION, generateTopology, nodeGpuList } from '@switchyard/contracts';
import { startKubeSim, type KubeSim } from '@switchyard/kube-sim';
import {
  EXPORTER_PATH,
  ExporterPowerSource,
  PrometheusPowerSource,
  type PowerInventory,
  type PowerReading,
  type PowerTelemetry,
} from '@switchyard/telemetry';
import { PrometheusProcess } from '../../test/support/prometheus';
import { percentile } from '../figures';

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

/** Seven nodes in ten serve one 8-GPU replica (one in five of them capped at 450 W), the rest hold one 1-GPU pod. */
async function placeCampusLoad(sim: KubeSim, nodes: ReturnType<typeof generateTopology>['nodes']): Promise<number> {
  const pods = sim.api.type('', 'pods');
  let placed = 0;
  nodes.forEach((node, i) => {
    const gpus = nodeGpuList(node);
    const whole = i % 10 < 7;
    const count = whole ? 8 : 1;
    const name = `load-${i}`;
    sim.api.create(pods, 'v1', 'default', {
      metadata: { name, annotations: { [ANNOTATION.wattsPerGpu]: whole ? '650' : '500' } },
      spec: {
        containers: [{ name: 'server', image: 'vllm', resources: { limits: { 'nvidia.com/gpu': String(count) } } }],
      },
    });
    const annotations: Record<string, string> = {
      [ANNOTATION.gpus]: gpus
        .slice(0, count)
        .map((g) => `${g.index}=${g.uuid}`)
        .join(','),
    };
    if (whole && i % 5 === 0) annotations[ANNOTATION.powerLimitWatts] = '450';
    sim.api.bindPod('default', name, { target: { kind: 'Node', name: node.name }, metadata: { annotations } });
    placed++;
  });
  for (;;) {
    const running = sim.store
      .list('pods', 'default', false)
      .filter((p) => (p.status as { phase?: string })?.phase === 'Running');
    if (running.length === placed) return placed;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The embedded API at campus scale with the load placed, here or in a child process. */
interface CampusSim {
  readonly url: string;
  readonly caCertificate?: string;
  readonly pods: number;
  close(): Promise<void>;
}

async function startCampusSim(topology: ReturnType<typeof generateTopology>): Promise<CampusSim> {
  const sim = await startKubeSim({ topology, kubeletDelayMs: 0 });
  const pods = await placeCampusLoad(sim, topology.nodes);
  return { url: sim.url, caCertificate: sim.caCertificate, pods, close: () => sim.close() };
}

/** The child's side of --separate: serve until the parent disconnects. */
async function serveCampusSim(): Promise<void> {
  const sim = await startCampusSim(generateTopology('campus-200mw'));
  process.send!({ url: sim.url, caCertificate: sim.caCertificate, pods: sim.pods });
  process.once('disconnect', () => void sim.close().then(() => process.exit(0)));
}

function startSeparateCampusSim(): Promise<CampusSim> {
  const child = fork(__filename, ['--child'], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the embedded API process exited (${code})`)));
    child.once('message', (m: { url: string; caCertificate?: string; pods: number }) =>
      resolve({
        ...m,
        close: async () => {
          const exited = new Promise((done) => child.once('exit', done));
          child.disconnect();
          await exited;
        },
      }),
    );
  });
}

/** Bytes and time of one plain GET of an exporter (render and transfer, no parsing). */
function timedScrape(sim: CampusSim, path: string): Promise<{ ms: number; cpuMs: number; bytes: number }> {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  return new Promise((resolve, reject) => {
    request(new URL(path, sim.url), { ca: sim.caCertificate }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => {
        const cpu = process.cpuUsage(cpuStart);
        resolve({ ms: performance.now() - start, cpuMs: (cpu.user + cpu.system) / 1000, bytes });
      });
    })
      .on('error', reject)
      .end();
  });
}

/** Reads `iterations` times; durations, and the worst event-loop delay seen during the reads. */
async function measureReads(source: PowerTelemetry, iterations: number) {
  const durations: number[] = [];
  const cpu: number[] = [];
  let last: PowerReading | undefined;
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    last = await source.read();
    durations.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  delay.disable();
  const sorted = [...durations].sort((a, b) => a - b);
  return {
    readMs: { p50: percentile(sorted, 50), max: sorted[sorted.length - 1] },
    /** CPU time of this process per read (the machine may be shared: wall time includes waiting for a core). */
    cpuMs: {
      p50: percentile(
        [...cpu].sort((a, b) => a - b),
        50,
      ),
    },
    eventLoopDelayMs: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
    counts: last!.counts,
    errors: last!.errors,
    freshMegawatts: { gpus: last!.freshWatts.gpus / 1e6, nodes: last!.freshWatts.nodes / 1e6 },
  };
}

async function main(): Promise<void> {
  const iterations = argument('--iterations', 5);
  const json = process.argv.includes('--json');
  const log = (line: string) => !json && console.log(line);
  const topology = generateTopology('campus-200mw');
  const inventory: PowerInventory = {
    nodes: topology.nodes.map((n) => ({ name: n.name, gpuUuids: nodeGpuList(n).map((g) => g.uuid) })),
  };
  log(`starting the embedded API with ${topology.nodes.length} nodes`);
  const separate = process.argv.includes('--separate');
  const sim = separate ? await startSeparateCampusSim() : await startCampusSim(topology);
  const pods = sim.pods;
  log(`${pods} pods running${separate ? ' (embedded API in a child process)' : ''}`);
  let prometheus: PrometheusProcess | undefined;
  try {
    const scrapes = { dcgm: [] as number[], dcgmCpu: [] as number[], ipmi: [] as number[], dcgmBytes: 0, ipmiBytes: 0 };
    for (let i = 0; i < 3; i++) {
      const dcgm = await timedScrape(sim, EXPORTER_PATH.dcgm);
      const ipmi = await timedScrape(sim, EXPORTER_PATH.ipmi);
      scrapes.dcgm.push(dcgm.ms);
      scrapes.dcgmCpu.push(dcgm.cpuMs);
      scrapes.ipmi.push(ipmi.ms);
      scrapes.dcgmBytes = dcgm.bytes;
      scrapes.ipmiBytes = ipmi.bytes;
    }
    log(
      `scrape DCGM ${scrapes.dcgm.map((m) => m.toFixed(0)).join('/')} ms, CPU ${scrapes.dcgmCpu.map((m) => m.toFixed(0)).join('/')} ms (${(scrapes.dcgmBytes / 2 ** 20).toFixed(1)} MiB)`,
    );
    const exporters = new ExporterPowerSource({ baseUrl: sim.url, ca: sim.caCertificate, inventory: () => inventory });
    await exporters.read();
    const direct = await measureReads(exporters, iterations);
    log(`exporters: ${JSON.stringify(direct)}`);
    let viaPrometheus: Awaited<ReturnType<typeof measureReads>> & { scrapeSeconds?: Record<string, number> } =
      undefined!;
    if (process.argv.includes('--prometheus')) {
      // Debian's package; PROMETHEUS names another binary.
      const binary = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
      const target = new URL(sim.url).host;
      const job = (name: string, path: string) => ({
        job_name: name,
        scheme: 'https',
        metrics_path: path,
        scrape_interval: '15s',
        scrape_timeout: '10s',
        tls_config: { ca_file: 'sim-ca.pem' },
        static_configs: [{ targets: [target] }],
      });
      prometheus = await PrometheusProcess.start(
        binary,
        [job('dcgm', EXPORTER_PATH.dcgm), job('ipmi', EXPORTER_PATH.ipmi)],
        {
          files: { 'sim-ca.pem': sim.caCertificate! },
          scrapeIntervalSeconds: 15,
        },
      );
      await prometheus.targetsUp(120_000);
      const source = new PrometheusPowerSource({ url: prometheus.url, inventory: () => inventory, timeoutMs: 30_000 });
      await source.read();
      viaPrometheus = await measureReads(source, iterations);
      const targets = (await (await fetch(`${prometheus.url}/api/v1/targets`)).json()) as {
        data: { activeTargets: Array<{ labels: { job: string }; lastScrapeDuration: number }> };
      };
      viaPrometheus.scrapeSeconds = Object.fromEntries(
        targets.data.activeTargets.map((t) => [t.labels.job, Number(t.lastScrapeDuration.toFixed(3))]),
      );
      log(`prometheus: ${JSON.stringify(viaPrometheus)}`);
    }
    const result = {
      embeddedApi: separate ? 'child process' : 'this process',
      nodes: topology.nodes.length,
      gpus: inventory.nodes.reduce((n, node) => n + node.gpuUuids.length, 0),
      pods,
      scrapeMs: { dcgm: Math.min(...scrapes.dcgm), ipmi: Math.min(...scrapes.ipmi) },
      dcgmScrapeCpuMs: Math.min(...scrapes.dcgmCpu),
      scrapeMiB: { dcgm: scrapes.dcgmBytes / 2 ** 20, ipmi: scrapes.ipmiBytes / 2 ** 20 },
      exporters: direct,
      prometheus: viaPrometheus ?? null,
    };
    if (json) console.log(JSON.stringify(result));
  } finally {
    await prometheus?.stop();
    await sim.close();
  }
}

(process.argv.includes('--child') ? serveCampusSim() : main()).catch((error) => {
  console.error(error);
  process.exit(1);
});
