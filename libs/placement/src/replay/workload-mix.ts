import { randomIndex, seededRandom } from './seeded-random';
import type { TracePod } from './trace-csv';

/**
 * Other workload mixes "of the same kind": pods drawn from a trace by kind (CPU-only,
 * shared GPU, one whole GPU, several GPUs) in chosen proportions, optionally with a share of
 * GPU pods restricted to the product of a random node. Used to check that a policy tuned on
 * the published traces is not tuned to those files.
 */

export type PodKind = 'cpu' | 'share' | 'whole' | 'multi';

export function podKind(p: TracePod): PodKind {
  const d = p.demand;
  if (d.gpuCount === 0) return 'cpu';
  if (d.gpuMilli < 1000) return 'share';
  return d.gpuCount === 1 ? 'whole' : 'multi';
}

export interface WorkloadMix {
  readonly name: string;
  /** Relative weights of the kinds (need not sum to 1). */
  readonly kinds: Readonly<Record<PodKind, number>>;
  /** Share of GPU pods restricted to one or two products (those of random source nodes). */
  readonly restricted?: number;
}

/** `count` pods named `<mix>-<n>`, each a copy of a random trace pod of a kind drawn by the mix's weights. */
export function resampleWorkload(
  pods: readonly TracePod[],
  mix: WorkloadMix,
  count: number,
  seed: number,
  products: readonly string[] = [],
): TracePod[] {
  const random = seededRandom(seed);
  const byKind = new Map<PodKind, TracePod[]>();
  for (const p of pods) {
    const k = podKind(p);
    byKind.set(k, [...(byKind.get(k) ?? []), p]);
  }
  const kinds = (Object.keys(mix.kinds) as PodKind[]).filter(
    (k) => mix.kinds[k] > 0 && (byKind.get(k)?.length ?? 0) > 0,
  );
  if (kinds.length === 0) throw new RangeError(`mix ${mix.name} selects no kind present in the trace`);
  const total = kinds.reduce((s, k) => s + mix.kinds[k], 0);
  const out: TracePod[] = [];
  for (let i = 0; i < count; i++) {
    let x = random() * total;
    let kind = kinds[kinds.length - 1];
    for (const k of kinds) {
      if (x < mix.kinds[k]) {
        kind = k;
        break;
      }
      x -= mix.kinds[k];
    }
    const source = byKind.get(kind)!;
    const p = source[randomIndex(random, source.length)];
    let allowedProducts = p.demand.allowedProducts;
    if (kind !== 'cpu' && products.length > 0 && random() < (mix.restricted ?? 0)) {
      const a = products[randomIndex(random, products.length)];
      const b = products[randomIndex(random, products.length)];
      allowedProducts = a === b ? [a] : [a, b];
    }
    out.push({ name: `${mix.name}-${String(i).padStart(6, '0')}`, demand: { ...p.demand, allowedProducts } });
  }
  return out;
}

/** The held-out mixes of bench/RESULTS.md (trace replay) (drawn from the default trace, 8,000 pods, seed 7). */
export const HELD_OUT_MIXES: readonly WorkloadMix[] = [
  { name: 'share55', kinds: { cpu: 10, share: 55, whole: 30, multi: 5 } },
  { name: 'whole65', kinds: { cpu: 10, share: 15, whole: 65, multi: 10 } },
  { name: 'multi20', kinds: { cpu: 15, share: 30, whole: 35, multi: 20 } },
  { name: 'restricted30', kinds: { cpu: 13, share: 38, whole: 47, multi: 2 }, restricted: 0.3 },
];
