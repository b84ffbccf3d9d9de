import { ANNOTATION, generateTopology, nodeGpuList, type TopologyDocument } from '@switchyard/contracts';
import { LOAD_STEP_MS, startKubeSim, type KubeSim } from '@switchyard/kube-sim';
import type { PowerInventory, PowerReading } from '@switchyard/telemetry';
import { eventually } from '../support/eventually';

/** A small data center: 2 racks of 2 nodes, 8 H200-class GPUs each. */
export function smallTopology(): TopologyDocument {
  return generateTopology('demo', { halls: 1, rowsPerHall: 1, racksPerRow: 2, nodesPerRack: 2 });
}

export function inventoryOf(topology: TopologyDocument): PowerInventory {
  return { nodes: topology.nodes.map((n) => ({ name: n.name, gpuUuids: nodeGpuList(n).map((g) => g.uuid) })) };
}

export interface PlacedPod {
  readonly name: string;
  readonly node: string;
  readonly gpuUuids: readonly string[];
}

/**
 * Puts serving pods on the first two nodes, as the scheduler would bind them: a 600 W-profile
 * pod on GPU 0, a pod capped at 300 W on GPUs 1-2, and a pod without the GPU annotation that
 * the simulated node gives its lowest free GPU.
 */
export async function placeServingPods(sim: KubeSim, topology: TopologyDocument): Promise<Record<string, PlacedPod>> {
  const [first, second] = topology.nodes;
  const gpus = nodeGpuList(first);
  const pods = sim.api.type('', 'pods');
  const place = (name: string, node: string, count: number, annotations: Record<string, string>, bound = {}) => {
    sim.api.create(pods, 'v1', 'default', {
      metadata: { name, annotations },
      spec: {
        schedulerName: 'switchyard',
        containers: [
          { name: 'server', image: 'vllm/vllm-openai', resources: { limits: { 'nvidia.com/gpu': String(count) } } },
        ],
      },
    });
    sim.api.bindPod('default', name, { target: { kind: 'Node', name: node }, metadata: { annotations: bound } });
  };
  const gpuAnnotation = (indices: number[]) => indices.map((i) => `${i}=${gpus[i].uuid}`).join(',');
  place('vlm-a', first.name, 1, { [ANNOTATION.wattsPerGpu]: '600' }, { [ANNOTATION.gpus]: gpuAnnotation([0]) });
  place(
    'vlm-capped',
    first.name,
    2,
    { [ANNOTATION.wattsPerGpu]: '700' },
    { [ANNOTATION.gpus]: gpuAnnotation([1, 2]), [ANNOTATION.powerLimitWatts]: '300' },
  );
  place('plain', second.name, 1, {});
  await eventually(
    () =>
      ['vlm-a', 'vlm-capped', 'plain'].every(
        (name) =>
          (sim.store.get('pods', 'default', name)?.status as { phase?: string } | undefined)?.phase === 'Running',
      ),
    10_000,
    'pods to run',
  );
  return {
    a: { name: 'vlm-a', node: first.name, gpuUuids: [gpus[0].uuid] },
    capped: { name: 'vlm-capped', node: first.name, gpuUuids: [gpus[1].uuid, gpus[2].uuid] },
    plain: { name: 'plain', node: second.name, gpuUuids: [nodeGpuList(second)[0].uuid] },
  };
}

/**
 * The first instant in [from, to] (load steps) at which every given measurement equals what the
 * simulator draws; undefined when there is none. One instant for all, because one scrape takes
 * every value of an exporter at the same moment.
 */
export function instantMatching(
  measured: ReadonlyArray<{ watts: number; drawAt: (t: number) => number | undefined }>,
  from: number,
  to: number,
): number | undefined {
  for (let t = Math.floor(from / LOAD_STEP_MS) * LOAD_STEP_MS; t <= to; t += LOAD_STEP_MS) {
    if (measured.every((m) => m.drawAt(t) === m.watts)) return t;
  }
  return undefined;
}

/** Fresh GPU readings with their simulated draw, and fresh node readings with theirs. */
export function measuredVsSimulated(sim: KubeSim, reading: PowerReading) {
  const gpus = [...reading.gpus.values()]
    .filter((g) => g.state === 'fresh')
    .map((g) => ({ watts: g.watts!, sampledAt: g.sampledAt!, drawAt: (t: number) => sim.power.gpuWatts(g.uuid, t) }));
  const nodes = [...reading.nodes.values()]
    .filter((n) => n.state === 'fresh')
    .map((n) => ({
      watts: n.watts!,
      sampledAt: n.sampledAt!,
      drawAt: (t: number) => sim.power.nodeWallWatts(n.node, t),
    }));
  return { gpus, nodes };
}

/** No series of the reading is 0 W: stale and missing ones have no watts at all. */
export function expectNoZeroWatts(reading: PowerReading): void {
  const all = [...reading.gpus.values(), ...reading.nodes.values()];
  expect(all.filter((s) => s.watts === 0)).toEqual([]);
  expect(all.filter((s) => s.state !== 'fresh' && s.watts !== null)).toEqual([]);
}

export { startKubeSim };
