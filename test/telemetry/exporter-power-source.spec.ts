import { createServer, type Server, type Socket } from 'node:net';
import { request } from 'node:https';
import {
  EXPORTER_PATH,
  ExporterPowerSource,
  ExpositionParser,
  type ExpositionSample,
  type PowerReading,
} from '@switchyard/telemetry';
import type { KubeSim } from '@switchyard/kube-sim';
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

/** GET without credentials, as a scraper does. */
function scrape(sim: KubeSim, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, sim.url), { ca: sim.caCertificate }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function samplesOf(text: string): ExpositionSample[] {
  const samples: ExpositionSample[] = [];
  const parser = new ExpositionParser((s) => samples.push(s));
  parser.push(text);
  parser.end();
  return samples;
}

describe('simulated DCGM and IPMI exporters read directly', () => {
  const topology = smallTopology();
  const inventory = inventoryOf(topology);
  let sim: KubeSim;
  let pods: Record<string, PlacedPod>;
  let source: ExporterPowerSource;

  beforeAll(async () => {
    sim = await startKubeSim({ topology, kubeletDelayMs: 0, powerSeed: 42 });
    pods = await placeServingPods(sim, topology);
    source = new ExporterPowerSource({ baseUrl: sim.url, ca: sim.caCertificate, inventory: () => inventory });
  });
  afterAll(() => sim?.close());

  it('serves both exporters unauthenticated in the text format, each series naming its node', async () => {
    const dcgm = await scrape(sim, EXPORTER_PATH.dcgm);
    expect(dcgm.status).toBe(200);
    expect(dcgm.type).toContain('text/plain; version=0.0.4');
    expect(dcgm.body).toContain('# TYPE DCGM_FI_DEV_POWER_USAGE gauge');
    expect(dcgm.body).toContain('# TYPE DCGM_FI_DEV_POWER_MGMT_LIMIT gauge');
    const samples = samplesOf(dcgm.body);
    const usage = samples.filter((s) => s.name === 'DCGM_FI_DEV_POWER_USAGE');
    expect(usage).toHaveLength(topology.nodes.length * 8);
    const a = usage.find((s) => s.labels.UUID === pods.a.gpuUuids[0])!;
    expect(a.labels).toEqual({
      gpu: '0',
      UUID: pods.a.gpuUuids[0],
      device: 'nvidia0',
      modelName: 'NVIDIA H200',
      Hostname: pods.a.node,
      container: 'server',
      namespace: 'default',
      pod: 'vlm-a',
    });
    const ipmi = await scrape(sim, EXPORTER_PATH.ipmi);
    expect(ipmi.body).toContain('# TYPE ipmi_dcmi_power_consumption_watts gauge');
    expect(samplesOf(ipmi.body).map((s) => s.labels.node)).toEqual(topology.nodes.map((n) => n.name));
  });

  it('reads every GPU and node fresh, equal to what the simulator draws at one instant', async () => {
    const before = Date.now();
    const reading = await source.read();
    const after = Date.now();
    expect(reading.errors).toEqual([]);
    expect(reading.counts.gpus).toEqual({ fresh: inventory.nodes.length * 8, stale: 0, missing: 0 });
    expect(reading.counts.nodes).toEqual({ fresh: inventory.nodes.length, stale: 0, missing: 0 });
    const { gpus, nodes } = measuredVsSimulated(sim, reading);
    expect(instantMatching(gpus, before, after)).toBeDefined();
    expect(instantMatching(nodes, before, after)).toBeDefined();
    // Empty GPUs idle; loaded ones draw from their profile; the capped pod stays under its limit.
    const idle = [...reading.gpus.values()].filter((g) => g.node === topology.nodes[3].name);
    expect(new Set(idle.map((g) => g.watts))).toEqual(new Set([84]));
    expect(reading.gpus.get(pods.a.gpuUuids[0])!.watts).toBeGreaterThan(84);
    expect(reading.gpus.get(pods.plain.gpuUuids[0])!.watts).toBeGreaterThan(84);
    for (const uuid of pods.capped.gpuUuids) {
      expect(reading.gpus.get(uuid)!.limitWatts).toBe(300);
      expect(reading.gpus.get(uuid)!.watts).toBeLessThanOrEqual(300);
    }
    expect(reading.gpus.get(pods.a.gpuUuids[0])!.limitWatts).toBe(700);
    expect(reading.freshWatts.nodes).toBeGreaterThan(reading.freshWatts.gpus);
  });

  it('reports a node whose exporters stop answering as stale, never 0 W, then fresh again', async () => {
    const silent = topology.nodes[1].name;
    const first = await source.read();
    sim.power.silence(silent);
    let reading: PowerReading;
    try {
      reading = await source.read();
    } finally {
      sim.power.silence(silent, false);
    }
    expect(reading.counts.gpus).toEqual({ fresh: (inventory.nodes.length - 1) * 8, stale: 8, missing: 0 });
    expect(reading.counts.nodes).toEqual({ fresh: inventory.nodes.length - 1, stale: 1, missing: 0 });
    const node = reading.nodes.get(silent)!;
    expect(node).toEqual({ node: silent, ...staleFrom(first.nodes.get(silent)!) });
    expectNoZeroWatts(reading);
    const back = await source.read();
    expect(back.counts.gpus.fresh).toBe(inventory.nodes.length * 8);
  });

  it('counts GPUs and nodes the exporters do not know as missing', async () => {
    const extra = { name: 'gpu-not-there', gpuUuids: ['GPU-00000000-0000-4000-8000-000000000000'] };
    const wider = new ExporterPowerSource({
      baseUrl: sim.url,
      ca: sim.caCertificate,
      inventory: () => ({ nodes: [...inventory.nodes, extra] }),
    });
    const reading = await wider.read();
    expect(reading.gpus.get(extra.gpuUuids[0])).toEqual(
      expect.objectContaining({ state: 'missing', watts: null, lastWatts: null, sampledAt: null }),
    );
    expect(reading.counts.gpus.missing).toBe(1);
    expect(reading.counts.nodes.missing).toBe(1);
    expect(reading.unknownSeries).toBe(0);
  });

  it('gives an explicit error and no watts when the exporters cannot be reached or do not answer in time', async () => {
    let hung: Server | undefined;
    const sockets: Socket[] = [];
    try {
      hung = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => hung!.listen(0, '127.0.0.1', resolve));
      const port = (hung.address() as { port: number }).port;
      const silent = new ExporterPowerSource({
        baseUrl: `http://127.0.0.1:${port}`,
        inventory: () => inventory,
        timeoutMs: 300,
      });
      const reading = await silent.read();
      expect(reading.errors).toHaveLength(2);
      expect(reading.errors.every((e) => e.endsWith('timed out'))).toBe(true);
      expect(reading.counts.gpus).toEqual({ fresh: 0, stale: 0, missing: inventory.nodes.length * 8 });
      expect(reading.freshWatts).toEqual({ gpus: 0, nodes: 0 });
      expectNoZeroWatts(reading);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => hung?.close(resolve));
    }
  });

  it('keeps last values as stale (not 0 W) after the embedded API goes away', async () => {
    const own = await startKubeSim({ topology, kubeletDelayMs: 0 });
    const reader = new ExporterPowerSource({ baseUrl: own.url, ca: own.caCertificate, inventory: () => inventory });
    const good = await reader.read();
    await own.close();
    const reading = await reader.read();
    expect(reading.errors).toHaveLength(2);
    expect(reading.errors[0]).toMatch(/ECONNREFUSED|ECONNRESET/);
    expect(reading.counts.gpus).toEqual({ fresh: 0, stale: inventory.nodes.length * 8, missing: 0 });
    expect(reading.counts.nodes).toEqual({ fresh: 0, stale: inventory.nodes.length, missing: 0 });
    const name = topology.nodes[0].name;
    expect(reading.nodes.get(name)).toEqual({ node: name, ...staleFrom(good.nodes.get(name)!) });
    expectNoZeroWatts(reading);
  });
});

/** What a fresh series becomes once its exporter stops giving it. */
function staleFrom(fresh: { watts: number | null; sampledAt: number | null }) {
  return { state: 'stale', watts: null, lastWatts: fresh.watts, sampledAt: fresh.sampledAt };
}
