import { NVIDIA_H200 } from '@switchyard/contracts';
import { enforcedLimitWatts, gpuDrawWatts, gpuPowerSpec, type GpuOccupant } from './gpu-draw';
import { BASE_UTILISATION, LOAD_STEP_MS, podLoad, utilisation } from './gpu-load';
import { nodeWallWatts } from './node-wall-power';

const H200 = gpuPowerSpec(NVIDIA_H200);
const T0 = Date.UTC(2026, 11, 4, 12);
const occupant = (uid: string, over: Partial<GpuOccupant> = {}): GpuOccupant => ({
  share: 1,
  profileWatts: 650,
  limitWatts: null,
  load: podLoad(7, uid),
  ...over,
});

/** Consecutive runs of full load (spikes) within [from, to), as [start, duration] in ms. */
function spikes(uid: string, from: number, to: number): Array<[number, number]> {
  const load = podLoad(7, uid);
  const runs: Array<[number, number]> = [];
  let start: number | undefined;
  for (let t = from; t < to; t += LOAD_STEP_MS) {
    const full = utilisation(load, t) === 1;
    if (full && start === undefined) start = t;
    if (!full && start !== undefined) {
      runs.push([start, t - start]);
      start = undefined;
    }
  }
  return runs;
}

describe('simulated GPU load', () => {
  it('is the same for the same seed, pod and time, and differs between pods', () => {
    const a = podLoad(7, 'pod-a');
    expect(utilisation(a, T0 + 12_345)).toBe(utilisation(podLoad(7, 'pod-a'), T0 + 12_345));
    expect(podLoad(7, 'pod-a').base).not.toBe(podLoad(7, 'pod-b').base);
    expect(podLoad(8, 'pod-a').base).not.toBe(a.base);
  });

  it('has a base in [0.55, 0.85] and noise of a few percent outside spikes', () => {
    const bases: number[] = [];
    let widestNoise = 0;
    for (let i = 0; i < 200; i++) {
      const load = podLoad(1, `pod-${i}`);
      bases.push(load.base);
      for (let t = T0; t < T0 + 20_000; t += LOAD_STEP_MS) {
        const u = utilisation(load, t);
        if (u !== 1) widestNoise = Math.max(widestNoise, Math.abs(u - load.base));
      }
    }
    expect(Math.min(...bases)).toBeGreaterThanOrEqual(BASE_UTILISATION.min);
    expect(Math.max(...bases)).toBeLessThanOrEqual(BASE_UTILISATION.max);
    expect(Math.max(...bases) - Math.min(...bases)).toBeGreaterThan(0.2);
    expect(widestNoise).toBeLessThanOrEqual(0.03 + 1e-9);
    expect(widestNoise).toBeGreaterThan(0.02);
  });

  it('is constant within a load step', () => {
    const load = podLoad(3, 'pod-x');
    const step = Math.floor(T0 / LOAD_STEP_MS) * LOAD_STEP_MS;
    for (let dt = 1; dt < LOAD_STEP_MS; dt += 7) expect(utilisation(load, step + dt)).toBe(utilisation(load, step));
  });

  it('spikes to the full profile for 1 to 3 s, in some windows only', () => {
    const all = Array.from({ length: 20 }, (_, i) => spikes(`pod-${i}`, T0, T0 + 120_000)).flat();
    expect(all.length).toBeGreaterThan(20);
    expect(all.length).toBeLessThan(20 * 12);
    for (const [, duration] of all) {
      expect(duration).toBeGreaterThanOrEqual(1000);
      expect(duration).toBeLessThanOrEqual(3000);
    }
  });
});

describe('simulated GPU draw', () => {
  it('draws idle power when empty (84 W on an H200-class GPU)', () => {
    expect(gpuDrawWatts(H200, [], 700, T0)).toBe(84);
    expect(H200.idleWatts).toBeGreaterThanOrEqual(70);
    expect(H200.idleWatts).toBeLessThanOrEqual(100);
  });

  it('follows the profile: base load between 55 and 85 % of it, up to 100 % in a spike', () => {
    const pod = occupant('pod-a');
    const draws = Array.from({ length: 1200 }, (_, i) => gpuDrawWatts(H200, [pod], 700, T0 + i * LOAD_STEP_MS));
    expect(Math.max(...draws)).toBe(650);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(650 * (0.55 - 0.03) - 1e-6);
    expect(new Set(draws).size).toBeGreaterThan(100);
  });

  it('never draws above the enforced limit, which is clamped to the GPU range', () => {
    const capped = occupant('pod-c', { limitWatts: 300, profileWatts: 700 });
    expect(enforcedLimitWatts(H200, [capped])).toBe(300);
    expect(enforcedLimitWatts(H200, [occupant('x', { limitWatts: 50 })])).toBe(NVIDIA_H200.minPowerLimitWatts);
    expect(enforcedLimitWatts(H200, [occupant('x', { limitWatts: 5000 })])).toBe(NVIDIA_H200.maxPowerLimitWatts);
    expect(enforcedLimitWatts(H200, [occupant('x')])).toBe(NVIDIA_H200.tdpWatts);
    const draws = Array.from({ length: 1200 }, (_, i) => gpuDrawWatts(H200, [capped], 300, T0 + i * LOAD_STEP_MS));
    expect(Math.max(...draws)).toBe(300);
  });

  it('adds the shares of pods on one GPU, and the lowest cap of them holds', () => {
    const a = occupant('a', { share: 0.5, profileWatts: 400 });
    const b = occupant('b', { share: 0.25, profileWatts: 400, limitWatts: 250 });
    const t = T0 + 500;
    const expected = 200 * utilisation(a.load, t) + 100 * utilisation(b.load, t);
    expect(gpuDrawWatts(H200, [a, b], 700, t)).toBeCloseTo(Math.max(84, expected), 3);
    expect(enforcedLimitWatts(H200, [a, b])).toBe(250);
  });
});

describe('node wall power', () => {
  const node = { idleWatts: 2_000, maxWatts: 10_200, gpuTdpWatts: 8 * 700 };
  it('is the maximum with every GPU at TDP, the idle power plus a host share in between', () => {
    expect(nodeWallWatts(node, 8 * 700)).toBe(10_200);
    expect(nodeWallWatts(node, 0)).toBe(2_000);
    // host share = gpu x (10200 - 2000 - 5600) / 5600
    expect(nodeWallWatts(node, 2_800)).toBe(Math.round(2_000 + 2_800 + (2_800 * 2_600) / 5_600));
  });
  it('is the idle power for a node without GPUs', () => {
    expect(nodeWallWatts({ idleWatts: 300, maxWatts: 800, gpuTdpWatts: 0 }, 0)).toBe(300);
  });
});
