import { PlacementInputError } from '../errors';
import { bestfitPolicy } from './bestfit';
import { fgdPolicy } from './fgd';
import type { ScoringPolicy } from './policy';
import { switchyardPolicy } from './switchyard';

/** Named policies; each factory returns a fresh, stateless policy object. */
const FACTORIES: ReadonlyMap<string, () => ScoringPolicy> = new Map<string, () => ScoringPolicy>([
  ['bestfit', bestfitPolicy],
  ['fgd', fgdPolicy],
  ['switchyard', () => switchyardPolicy()],
]);

/** The policy used when none is named: Switchyard's own (fewer stranded GPUs than FGD, power-aware). */
export const DEFAULT_POLICY = 'switchyard';

const cache = new Map<string, ScoringPolicy>();

export function policyNames(): string[] {
  return [...FACTORIES.keys()];
}

/** The named policy (one shared instance per name), or PlacementInputError('unknown-policy'). */
export function policyByName(name: string): ScoringPolicy {
  let policy = cache.get(name);
  if (policy) return policy;
  const factory = FACTORIES.get(name);
  if (!factory)
    throw new PlacementInputError(
      'unknown-policy',
      'policy',
      `unknown policy "${name}"; known: ${policyNames().join(', ')}`,
    );
  policy = factory();
  cache.set(name, policy);
  return policy;
}
