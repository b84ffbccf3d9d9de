import type { NodeFacts } from './node-facts';
import { FITS, unresolvable, type FilterStatus } from './status';

/** A node that is not ready, or is cordoned, takes nothing new. */
export function nodeReadyFilter(node: Pick<NodeFacts, 'up'>): FilterStatus {
  return node.up ? FITS : unresolvable('node-not-ready');
}
