import type { FilterStatus } from '../filters';
import type { Explanation } from '../model';

/**
 * Where an explanation differs from what the filters say node by node (empty = none): every
 * node must be counted exactly once, under the reason of the filter that refused it, and each
 * reason's closest miss must be the smallest need and the best any of its nodes had.
 */
export function explanationProblems(explanation: Explanation, statuses: readonly FilterStatus[]): string[] {
  const out: string[] = [];
  const counted = explanation.reasons.reduce((a, r) => a + r.nodes, 0);
  if (explanation.totalNodes !== statuses.length) out.push(`${explanation.totalNodes} nodes for ${statuses.length}`);
  if (counted !== statuses.length) out.push(`reasons count ${counted} nodes of ${statuses.length}`);
  const fits = statuses.filter((s) => s.reason === null).length;
  if (fits > 0) out.push(`${fits} nodes pass every filter`);
  const want = new Map<string, { nodes: number; needs: number | undefined; best: number | undefined }>();
  for (const s of statuses) {
    if (s.reason === null) continue;
    const cur = want.get(s.reason) ?? { nodes: 0, needs: undefined, best: undefined };
    cur.nodes++;
    if (s.needs !== undefined && (cur.needs === undefined || s.needs < cur.needs)) cur.needs = s.needs;
    if (s.best !== undefined && (cur.best === undefined || s.best > cur.best)) cur.best = s.best;
    want.set(s.reason, cur);
  }
  const got = new Map(
    explanation.reasons.map((r) => [r.reason as string, { nodes: r.nodes, needs: r.needs, best: r.best }]),
  );
  for (const reason of new Set([...want.keys(), ...got.keys()])) {
    const g = got.get(reason);
    const w = want.get(reason);
    if (g?.nodes !== w?.nodes || g?.needs !== w?.needs || g?.best !== w?.best)
      out.push(`${reason}: explained ${JSON.stringify(g ?? null)}, filters say ${JSON.stringify(w ?? null)}`);
  }
  return out;
}
