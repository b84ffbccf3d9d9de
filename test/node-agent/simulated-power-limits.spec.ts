/**
 * The embedded API's simulated kubelet plays the node agent on every simulated node: the same
 * plan, applied to the simulated GPUs (ranges from the topology's GPU product), reported back on
 * the pods with the same annotations, and readable by the power simulation.
 */
import { ANNOTATION, NVIDIA_H200, generateTopology } from '@switchyard/contracts';
import { startKubeSim, type KubeSim } from '@switchyard/kube-sim';
import { eventually } from '../support/eventually';
import { createBoundPod, reportedLimit } from './sim-pods';

/** A smaller GPU than the H200, so the limits can only come from the topology's product. */
const L40S = {
  ...NVIDIA_H200,
  name: 'NVIDIA-L40S',
  memoryMiB: 46_068,
  tdpWatts: 350,
  minPowerLimitWatts: 100,
  maxPowerLimitWatts: 350,
};

let sim: KubeSim;
let node: string;
beforeAll(async () => {
  const topology = generateTopology('demo', { halls: 1, rowsPerHall: 1, racksPerRow: 1, gpuProduct: L40S });
  node = topology.nodes[0].name;
  sim = await startKubeSim({ port: 0, topology, kubeletDelayMs: 5 });
});
afterAll(() => sim?.close());

const pods = () => sim.api.type('', 'pods');
const limits = () => Array.from({ length: 8 }, (_, i) => sim.enforcedLimitWatts(node, i));
const reported = (name: string) => reportedLimit(sim, name);
const createPod = (name: string, annotations: Record<string, string>) => createBoundPod(sim, name, node, annotations);
const annotate = (name: string, annotations: Record<string, string | null>) =>
  sim.api.patch(pods(), 'v1', 'default', name, 'merge', { metadata: { annotations } });
const settled = (what: string, check: () => boolean) => eventually(check, 10_000, what, 5);

describe('simulated kubelet as the node agent', () => {
  it('starts every simulated GPU at its TDP, and knows no GPU it does not simulate', () => {
    expect(limits()).toEqual(Array(8).fill(350));
    expect(sim.enforcedLimitWatts(node, 8)).toBeUndefined();
    expect(sim.enforcedLimitWatts('no-such-node', 0)).toBeUndefined();
  });

  it('caps, lowers for a sharer, falls back to the safe default and restores, reporting on the pods', async () => {
    createPod('a', { [ANNOTATION.gpus]: '0=GPU-0,1=GPU-1', [ANNOTATION.powerLimitWatts]: '250' });
    await settled('pod a reported', () => reported('a')[0] === '250');
    expect(reported('a')).toEqual(['250', 'requested']);
    expect(limits()).toEqual([250, 250, 350, 350, 350, 350, 350, 350]);

    createPod('b', { [ANNOTATION.gpus]: '1=GPU-1', [ANNOTATION.gpuMilli]: '500', [ANNOTATION.powerLimitWatts]: '180' });
    await settled('pod b reported', () => reported('b')[0] === '180');
    expect(limits().slice(0, 2)).toEqual([250, 180]);
    expect(reported('a')).toEqual(['250', 'lowered']);

    annotate('a', { [ANNOTATION.powerLimitWatts]: 'soon' });
    await settled('pod a malformed', () => reported('a')[1] === 'malformed');
    // 70 % of the L40S's 350 W; GPU 1 keeps pod b's lower cap.
    expect(limits().slice(0, 2)).toEqual([245, 180]);
    expect(reported('a')).toEqual(['245', 'malformed']);

    annotate('b', { [ANNOTATION.powerLimitWatts]: '9000' });
    await settled('pod b lowered by the safe default', () => reported('b')[0] === '245');
    expect(limits().slice(0, 2)).toEqual([245, 245]);
    expect(reported('b')).toEqual(['245', 'lowered']);

    sim.api.delete(pods(), 'default', 'a', { gracePeriodSeconds: 0 });
    await settled('GPU 0 restored', () => sim.enforcedLimitWatts(node, 0) === 350);
    expect(limits().slice(0, 2)).toEqual([350, 350]);
    expect(reported('b')).toEqual(['350', 'clamped']);

    sim.api.delete(pods(), 'default', 'b', { gracePeriodSeconds: 0 });
    await settled('all GPUs at TDP', () => limits().every((w) => w === 350));
  });

  it('gives a GPU back when the pod stops naming it, and ignores its own reports', async () => {
    createPod('c', { [ANNOTATION.gpus]: '5=GPU-5', [ANNOTATION.powerLimitWatts]: '200' });
    await settled('pod c capped', () => sim.enforcedLimitWatts(node, 5) === 200);
    await settled('pod c reported', () => reported('c')[0] === '200');
    const version = sim.api.get(pods(), 'default', 'c').metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 50));
    // Its own annotation write did not start another round of writes.
    expect(sim.api.get(pods(), 'default', 'c').metadata.resourceVersion).toBe(version);
    annotate('c', { [ANNOTATION.gpus]: null });
    await settled('GPU 5 back at TDP', () => sim.enforcedLimitWatts(node, 5) === 350);
  });
});
