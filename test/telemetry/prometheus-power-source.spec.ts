import { EXPORTER_PATH, PrometheusPowerSource, type PowerReading } from '@switchyard/telemetry';
import type { KubeSim } from '@switchyard/kube-sim';
import { eventually } from '../support/eventually';
import { describeWith, prometheusBinary } from '../deploy/support/prometheus-binaries';
import { PrometheusProcess } from '../support/prometheus';
import {
  expectNoZeroWatts,
  instantMatching,
  inventoryOf,
  measuredVsSimulated,
  placeServingPods,
  smallTopology,
  startKubeSim,
  type PlacedPod,
} from './power-fixture';

const prometheus = prometheusBinary('prometheus');

/** Groups measurements by the scrape they came from (one sample time per scrape). */
function byScrape<T extends { sampledAt: number }>(measured: T[]): T[][] {
  const groups = new Map<number, T[]>();
  for (const m of measured) groups.set(m.sampledAt, [...(groups.get(m.sampledAt) ?? []), m]);
  return [...groups.values()];
}

describeWith(prometheus)('measured power through a real Prometheus scraping the simulated exporters', () => {
  const topology = smallTopology();
  const inventory = inventoryOf(topology);
  const gpuCount = inventory.nodes.length * 8;
  let sim: KubeSim;
  let server: PrometheusProcess;
  let pods: Record<string, PlacedPod>;
  let source: PrometheusPowerSource;

  beforeAll(async () => {
    sim = await startKubeSim({ topology, kubeletDelayMs: 0, powerSeed: 7 });
    pods = await placeServingPods(sim, topology);
    const target = new URL(sim.url).host;
    const job = (name: string, path: string) => ({
      job_name: name,
      scheme: 'https',
      metrics_path: path,
      tls_config: { ca_file: 'sim-ca.pem' },
      static_configs: [{ targets: [target] }],
    });
    server = await PrometheusProcess.start(
      prometheus!,
      [job('dcgm', EXPORTER_PATH.dcgm), job('ipmi', EXPORTER_PATH.ipmi)],
      {
        files: { 'sim-ca.pem': sim.caCertificate! },
      },
    );
    await server.targetsUp();
    source = new PrometheusPowerSource({ url: server.url, inventory: () => inventory, readLimits: true });
  });
  afterAll(async () => {
    await server?.stop();
    await sim?.close();
  });

  const readUntil = async (accept: (r: PowerReading) => boolean, what: string): Promise<PowerReading> => {
    let last: PowerReading | undefined;
    try {
      return await eventually(
        async () => {
          last = await source.read();
          return accept(last) && last;
        },
        30_000,
        what,
        250,
      );
    } catch (error) {
      throw new Error(
        `${(error as Error).message}; last counts ${JSON.stringify(last?.counts)}, errors ${last?.errors}`,
      );
    }
  };

  it('reads per-GPU and per-node power equal to what the simulator drew at the scrape', async () => {
    const reading = await readUntil((r) => r.counts.gpus.fresh === gpuCount && r.counts.nodes.fresh === 4, 'all fresh');
    expect(reading.errors).toEqual([]);
    expect(reading.unknownSeries).toBe(0);
    const { gpus, nodes } = measuredVsSimulated(sim, reading);
    // Prometheus stamps a sample with the scrape's start; the exporter computes it a few ms later.
    for (const scrape of [...byScrape(gpus), ...byScrape(nodes)])
      expect(instantMatching(scrape, scrape[0].sampledAt - 100, scrape[0].sampledAt + 1_000)).toBeDefined();
    for (const uuid of pods.capped.gpuUuids) {
      expect(reading.gpus.get(uuid)!.limitWatts).toBe(300);
      expect(reading.gpus.get(uuid)!.watts).toBeLessThanOrEqual(300);
    }
    expect(reading.gpus.get(pods.a.gpuUuids[0])!.watts).toBeGreaterThan(84);
    expect(reading.gpus.get(pods.plain.gpuUuids[0])!.watts).toBeGreaterThan(84);
  });

  it('reports the series of a node that stops being exported as stale with their last value, not 0 W', async () => {
    const silent = topology.nodes[0].name;
    sim.power.silence(silent);
    try {
      // The DCGM and IPMI jobs are scraped at their own times: wait for both.
      const reading = await readUntil(
        (r) => r.counts.nodes.stale === 1 && r.counts.gpus.stale === 8,
        'the silent node to go stale',
      );
      expect(reading.counts.gpus).toEqual({ fresh: gpuCount - 8, stale: 8, missing: 0 });
      const node = reading.nodes.get(silent)!;
      expect(node.state).toBe('stale');
      expect(node.watts).toBeNull();
      expect(node.lastWatts).toBeGreaterThan(2_000);
      for (const g of [...reading.gpus.values()].filter((g) => g.node === silent)) {
        expect(g).toEqual(expect.objectContaining({ state: 'stale', watts: null, limitWatts: null }));
        expect(g.lastWatts).toBeGreaterThanOrEqual(84);
      }
      expectNoZeroWatts(reading);
    } finally {
      sim.power.silence(silent, false);
    }
    await readUntil((r) => r.counts.gpus.fresh === gpuCount, 'the node to be fresh again');
  });

  it('calls a sample older than the max age stale', async () => {
    const later = new PrometheusPowerSource({
      url: server.url,
      inventory: () => inventory,
      now: () => Date.now() + 60_000,
    });
    const reading = await later.read();
    expect(reading.errors).toEqual([]);
    expect(reading.counts.gpus).toEqual({ fresh: 0, stale: gpuCount, missing: 0 });
    const gpu = reading.gpus.get(pods.a.gpuUuids[0])!;
    expect(reading.readAt - gpu.sampledAt!).toBeGreaterThan(reading.maxAgeMs);
    expectNoZeroWatts(reading);
  });

  it('answers with an explicit error and every series missing when Prometheus is down', async () => {
    await server.stop();
    const reading = await source.read();
    expect(reading.errors.length).toBeGreaterThan(0);
    expect(reading.errors.join(' ')).toContain('ECONNREFUSED');
    expect(reading.counts.gpus).toEqual({ fresh: 0, stale: 0, missing: gpuCount });
    expect(reading.counts.nodes).toEqual({ fresh: 0, stale: 0, missing: 4 });
    expect(reading.freshWatts).toEqual({ gpus: 0, nodes: 0 });
    expectNoZeroWatts(reading);
  });
});
