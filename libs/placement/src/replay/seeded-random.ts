import { seededRandom } from '../bench';

/**
 * Seeded draws for the replay (tuning copies, arrival order): the same mulberry32 stream the
 * placement benchmark uses, so a seed means the same thing on every machine.
 */
export { seededRandom };
export type Random = () => number;

/** An integer in [0, n). */
export function randomIndex(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/** Fisher-Yates, in place. */
export function shuffleInPlace<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomIndex(random, i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}
