/**
 * The simulated load of one pod over time, as a fraction of its power profile: a base in
 * [0.55, 0.85] per pod, decode-like noise of +/-3 %, and prefill-like spikes to 100 % lasting
 * 1 to 3 s. Deterministic in (seed, pod, time), and constant within each LOAD_STEP_MS, so a
 * test can compute exactly what was exported at a given moment.
 */

export const LOAD_STEP_MS = 100;
const SPIKE_WINDOW_MS = 10_000;
/** Share of 10 s windows that hold one prefill spike. */
const SPIKE_PROBABILITY = 0.4;
const NOISE = 0.03;
export const BASE_UTILISATION = { min: 0.55, max: 0.85 } as const;

export interface PodLoad {
  readonly seed: number;
  readonly base: number;
}

/** A 32-bit integer hash of two numbers (murmur3's finaliser over a Weyl-style combination). */
function mix32(a: number, b: number): number {
  let h = Math.imul(a ^ Math.imul(b | 0, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const unit = (h: number): number => h / 2 ** 32;

/** FNV-1a of a string, started from the simulation's seed. */
function hashString(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function podLoad(simulationSeed: number, podUid: string): PodLoad {
  const seed = hashString(podUid, simulationSeed);
  return { seed, base: BASE_UTILISATION.min + (BASE_UTILISATION.max - BASE_UTILISATION.min) * unit(mix32(seed, 1)) };
}

/** The pod's load at `t` (ms since the epoch), in [0, 1] of its profile. */
export function utilisation(load: PodLoad, t: number): number {
  const window = Math.floor(t / SPIKE_WINDOW_MS);
  const h = mix32(load.seed, window);
  if (unit(h) < SPIKE_PROBABILITY) {
    const start = window * SPIKE_WINDOW_MS + Math.floor(unit(mix32(h, 1)) * 70) * LOAD_STEP_MS;
    const duration = 1000 + Math.floor(unit(mix32(h, 2)) * 21) * LOAD_STEP_MS;
    if (t >= start && t < start + duration) return 1;
  }
  const step = Math.floor(t / LOAD_STEP_MS);
  const noise = (unit(mix32(load.seed ^ 0x5bd1e995, step)) * 2 - 1) * NOISE;
  return Math.min(1, Math.max(0, load.base + noise));
}
