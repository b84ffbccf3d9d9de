import fc from 'fast-check';
import { planCompliance } from './budget-compliance';
import { DEFAULT_GUARD_THRESHOLDS, planMeasuredGuard, planRestore } from './measured-guard';
import type { PowerAction, PowerPodView, PowerScopeView, PowerSnapshot } from './power-snapshot';

/** A site with halls, racks and nodes; pods on nodes; budgets cut at random (some scopes far below their load). */
const snapshotArb: fc.Arbitrary<PowerSnapshot> = fc
  .record({
    halls: fc.integer({ min: 1, max: 3 }),
    racksPerHall: fc.integer({ min: 1, max: 3 }),
    nodesPerRack: fc.integer({ min: 1, max: 3 }),
    pods: fc.array(
      fc.record({
        node: fc.nat(),
        replica: fc.nat({ max: 40 }),
        priority: fc.constantFrom(0, 100, 500, 800, 1000),
        load: fc.integer({ min: 1, max: 5_000_000 }),
        cappable: fc.boolean(),
        capShare: fc.double({ min: 0.2, max: 0.95, noNaN: true }),
        capped: fc.boolean(),
        deployment: fc.constantFrom('a', 'b', 'c', null),
      }),
      { maxLength: 60 },
    ),
    cuts: fc.array(fc.double({ min: 0, max: 1.3, noNaN: true }), { minLength: 64, maxLength: 64 }),
    measuredShare: fc.array(fc.option(fc.double({ min: 0.3, max: 1.3, noNaN: true })), {
      minLength: 64,
      maxLength: 64,
    }),
    allowed: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }),
  })
  .map((g) => {
    const scopes: { id: string; kind: PowerScopeView['kind']; parent: number }[] = [
      { id: 'site', kind: 'site', parent: -1 },
    ];
    const nodes: number[] = [];
    for (let h = 0; h < g.halls; h++) {
      const hall = scopes.push({ id: `h${h}`, kind: 'hall', parent: 0 }) - 1;
      for (let r = 0; r < g.racksPerHall; r++) {
        const rack = scopes.push({ id: `h${h}r${r}`, kind: 'rack', parent: hall }) - 1;
        for (let n = 0; n < g.nodesPerRack; n++)
          nodes.push(scopes.push({ id: `h${h}r${r}n${n}`, kind: 'node', parent: rack }) - 1);
      }
    }
    const path = (s: number): number[] => (s < 0 ? [] : [s, ...path(scopes[s].parent)]);
    // One replica lives on one node here, with one priority and deployment (as the engine's are).
    const replicaHome = new Map<number, { node: number; priority: number; deployment: string | null }>();
    const pods: PowerPodView[] = g.pods.map((p, i) => {
      const home = replicaHome.get(p.replica) ?? {
        node: nodes[p.node % nodes.length],
        priority: p.priority,
        deployment: p.deployment,
      };
      replicaHome.set(p.replica, home);
      const capped = p.cappable && p.capped;
      const cappedLoad = Math.round(p.load * p.capShare);
      return {
        podId: `p${i}`,
        replicaId: `r${p.replica}`,
        deployment: home.deployment,
        priority: home.priority,
        scopes: path(home.node),
        loadMw: capped ? cappedLoad : p.load,
        uncappedLoadMw: p.load,
        cappedLoadMw: p.cappable ? cappedLoad : null,
        capped,
      };
    });
    const load = scopes.map(() => 0);
    for (const pod of pods) for (const s of pod.scopes) load[s] += pod.loadMw;
    const views: PowerScopeView[] = scopes.map((s, i) => ({
      id: s.id,
      kind: s.kind,
      loadMw: load[i],
      budgetMw: Math.round(load[i] * g.cuts[i % 64]),
      measuredMw: g.measuredShare[i % 64] === null ? null : Math.round(load[i] * (g.measuredShare[i % 64] as number)),
    }));
    return {
      scopes: views,
      pods,
      disruptionAllowed: new Map(['a', 'b', 'c'].map((d, i) => [d, g.allowed[i]])),
    };
  });

const capsOf = (actions: readonly PowerAction[]) =>
  new Set(actions.filter((a) => a.kind === 'cap').map((a) => a.podId));

describe('power planners (property)', () => {
  it('after a compliance plan every scope is within budget, or unresolved with nothing left to cap or preempt under it', () => {
    fc.assert(
      fc.property(snapshotArb, (snap) => {
        const plan = planCompliance(snap);
        const capped = capsOf(plan.actions);
        const preempted = new Set(plan.actions.flatMap((a) => (a.kind === 'preempt' ? a.podIds : [])));
        const unresolved = new Set(plan.unresolved.map((u) => u.scopeId));
        // Recompute the loads from the actions: the plan's own figures must agree.
        const loads = snap.scopes.map(() => 0);
        for (const pod of snap.pods) {
          const mw = preempted.has(pod.podId) ? 0 : capped.has(pod.podId) ? (pod.cappedLoadMw as number) : pod.loadMw;
          for (const s of pod.scopes) loads[s] += mw;
        }
        snap.scopes.forEach((scope, s) => {
          expect(loads[s]).toBe(plan.loadAfterMw[s]);
          if (loads[s] <= scope.budgetMw) return;
          expect(unresolved.has(scope.id)).toBe(true);
          for (const pod of snap.pods.filter((p) => p.scopes.includes(s) && !preempted.has(p.podId))) {
            // Whatever still draws under an unresolved scope is capped or cannot be, and is not preemptible.
            expect(
              pod.capped || capped.has(pod.podId) || pod.cappedLoadMw === null || pod.cappedLoadMw >= pod.loadMw,
            ).toBe(true);
            if ((capped.has(pod.podId) ? (pod.cappedLoadMw as number) : pod.loadMw) > 0)
              expect(pod.priority).toBeGreaterThanOrEqual(1000);
          }
        });
      }),
    );
  });

  it('never caps or preempts a higher priority while a lower one under the same scope that could have helped was spared', () => {
    fc.assert(
      fc.property(snapshotArb, (snap) => {
        const plan = planCompliance(snap);
        const capped = capsOf(plan.actions);
        const preemptedReplicas = new Set(plan.actions.flatMap((a) => (a.kind === 'preempt' ? [a.replicaId] : [])));
        const index = new Map(snap.scopes.map((s, i) => [s.id, i]));
        for (const action of plan.actions) {
          if (action.kind === 'uncap') throw new Error('compliance never uncaps');
          const s = index.get(action.scopeId) as number;
          const under = snap.pods.filter((p) => p.scopes.includes(s));
          if (action.kind === 'cap')
            for (const p of under)
              if (p.priority < action.priority && !p.capped && p.cappedLoadMw !== null && p.cappedLoadMw < p.loadMw)
                expect(capped.has(p.podId)).toBe(true);
          if (action.kind === 'preempt')
            for (const p of under)
              // Could have helped: still drawing after this plan's caps.
              if (p.priority < action.priority && (capped.has(p.podId) ? (p.cappedLoadMw as number) : p.loadMw) > 0)
                expect(preemptedReplicas.has(p.replicaId)).toBe(true);
        }
      }),
    );
  });

  it('preempts within maxUnavailable unless the budget cannot otherwise be met, and says so', () => {
    fc.assert(
      fc.property(snapshotArb, (snap) => {
        const plan = planCompliance(snap);
        const used = new Map<string, number>();
        for (const a of plan.actions) {
          if (a.kind !== 'preempt') continue;
          const deployment = snap.pods.find((p) => p.replicaId === a.replicaId)?.deployment ?? null;
          if (deployment === null) continue;
          const n = (used.get(deployment) ?? 0) + 1;
          used.set(deployment, n);
          const allowed = snap.disruptionAllowed?.get(deployment) ?? Infinity;
          expect(a.disruptionExceeded).toBe(n > allowed);
        }
      }),
    );
  });

  it('the measured guard caps only where measured load crosses a threshold, low priorities first; restores never break a budget', () => {
    fc.assert(
      fc.property(snapshotArb, (snap) => {
        const t = DEFAULT_GUARD_THRESHOLDS;
        const index = new Map(snap.scopes.map((s, i) => [s.id, i]));
        for (const a of planMeasuredGuard(snap, t)) {
          if (a.kind !== 'cap') throw new Error('the guard only caps');
          const scope = snap.scopes[index.get(a.scopeId) as number];
          expect(scope.measuredMw).not.toBeNull();
          const share = (scope.measuredMw as number) / scope.budgetMw;
          if (a.reason === 'measured-high') {
            expect(share).toBeGreaterThanOrEqual(t.capLow);
            expect(a.priority).toBeLessThan(t.lowPriorityBelow);
          } else expect(share).toBeGreaterThanOrEqual(t.capAll);
        }
        const restores = planRestore(snap, t);
        expect(restores.length).toBeLessThanOrEqual(t.maxReleasesPerTick);
        const loads = snap.scopes.map((s) => s.loadMw);
        const byId = new Map(snap.pods.map((p) => [p.podId, p]));
        for (const r of restores) {
          if (r.kind !== 'uncap') throw new Error('restores only uncap');
          const pod = byId.get(r.podId) as PowerPodView;
          expect(pod.capped).toBe(true);
          for (const s of pod.scopes) loads[s] += r.addedMw;
        }
        snap.scopes.forEach((s, i) => {
          if (loads[i] > s.loadMw) expect(loads[i]).toBeLessThanOrEqual(s.budgetMw);
        });
      }),
    );
  });
});
