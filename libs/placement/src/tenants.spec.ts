import fc from 'fast-check';
import { PlacementEngine } from './engine';
import { PlacementInputError } from './errors';
import { checkInvariants } from './invariants';
import type { ReplicaRequest, TenantInput } from './model';
import { policyByName } from './policies/registry';
import { referencePlace } from './reference';
import { gridCluster, replica } from './testing/builders';
import { arbCluster, arbOp, arbReplica, placeOps, withIds } from './testing/random';

const BESTFIT = { policy: 'bestfit' };

function engine(tenants: TenantInput[] = [{ id: 't', gpuQuota: 4 }]): PlacementEngine {
  return new PlacementEngine(gridCluster({ racksPerRow: 1, nodesPerRack: 2, tenants }));
}

function message(e: PlacementEngine, r: ReplicaRequest): string | null {
  const res = e.place(r, BESTFIT);
  return res.placed ? null : res.explanation.message;
}

describe('tenants changed in place', () => {
  it('setTenant creates a tenant that requests may then name', () => {
    const e = engine();
    expect(() => e.place(replica('a', {}, { tenant: 'new' }))).toThrow(PlacementInputError);
    e.setTenant({ id: 'new', gpuQuota: 1 });
    expect(message(e, replica('a', {}, { tenant: 'new' }))).toBeNull();
    expect(message(e, replica('b', {}, { tenant: 'new' }))).toBe('0/2 nodes fit: 2 tenant GPU quota (needs 1, best 0)');
    expect(e.currentCluster().tenants).toEqual([
      { id: 't', gpuQuota: 4 },
      { id: 'new', gpuQuota: 1 },
    ]);
  });

  it('a cut quota keeps what the tenant has placed and refuses only new placements; raising it again lets them in', () => {
    const e = engine();
    expect(message(e, replica('a', { gpuCount: 4 }, { tenant: 't' }))).toBeNull();
    e.setTenant({ id: 't', gpuQuota: 2 });
    expect(e.placedReplicas.has('a')).toBe(true);
    expect(message(e, replica('b', {}, { tenant: 't' }))).toBe('0/2 nodes fit: 2 tenant GPU quota (needs 1, best 0)');
    expect(checkInvariants(e)).toEqual([]);
    e.setTenant({ id: 't', gpuQuota: null });
    expect(message(e, replica('b', { gpuCount: 8 }, { tenant: 't' }))).toBeNull();
  });

  it('a watt quota set later counts what is already placed', () => {
    const e = engine();
    expect(message(e, replica('a', { gpuCount: 2, wattsPerGpu: 500 }, { tenant: 't' }))).toBeNull(); // 1 kW
    e.setTenant({ id: 't', gpuQuota: 4, wattQuota: 1_500 });
    expect(message(e, replica('b', { gpuCount: 1, wattsPerGpu: 600 }, { tenant: 't' }))).toBe(
      '0/2 nodes fit: 2 tenant power quota (needs 600 W, best headroom 500 W)',
    );
    expect(message(e, replica('c', { gpuCount: 1, wattsPerGpu: 500 }, { tenant: 't' }))).toBeNull();
  });

  it('bad quotas are refused and change nothing', () => {
    const e = engine();
    for (const bad of [
      { id: 't', gpuQuota: -1 },
      { id: 't', wattQuota: Number.NaN },
      { id: '', gpuQuota: 1 },
    ]) {
      expect(() => e.setTenant(bad)).toThrow(PlacementInputError);
      expect(e.currentCluster().tenants).toEqual([{ id: 't', gpuQuota: 4 }]);
    }
  });

  it('removeTenant refuses while the tenant has replicas, then forgets it', () => {
    const e = engine();
    expect(message(e, replica('a', {}, { tenant: 't' }))).toBeNull();
    expect(() => e.removeTenant('t')).toThrow(/still has 1 placed replicas/);
    expect(() => e.removeTenant('nobody')).toThrow(PlacementInputError);
    e.release('a');
    e.removeTenant('t');
    expect(e.currentCluster().tenants).toEqual([]);
    expect(() => e.place(replica('b', {}, { tenant: 't' }))).toThrow(PlacementInputError);
    expect(checkInvariants(e)).toEqual([]);
  });

  it('a fork keeps quotas set in place, also on an engine without a tenant list', () => {
    const open = new PlacementEngine(gridCluster({ racksPerRow: 1, nodesPerRack: 2 }));
    open.setTenant({ id: 'x', gpuQuota: 1 });
    expect(message(open, replica('a', {}, { tenant: 'x' }))).toBeNull();
    expect(message(open, replica('any', {}, { tenant: 'unlisted' }))).toBeNull();
    const copy = open.fork();
    expect(message(copy, replica('b', {}, { tenant: 'x' }))).toBe(
      '0/2 nodes fit: 2 tenant GPU quota (needs 1, best 0)',
    );
    expect(message(copy, replica('other', {}, { tenant: 'unlisted-too' }))).toBeNull();
  });

  it('changing quotas in place decides like an engine built with those quotas (and like the reference)', () => {
    const quota = fc.record({
      gpuQuota: fc.constantFrom(0, 2, 6, null),
      wattQuota: fc.constantFrom(0, 1_500, 8_000, null),
    });
    let compared = 0;
    fc.assert(
      fc.property(
        arbCluster,
        fc.array(arbOp, { minLength: 1, maxLength: 12 }),
        quota,
        fc.array(arbReplica, { minLength: 1, maxLength: 4 }),
        (cluster, ops, q, probes) => {
          const e = new PlacementEngine(cluster, { policy: 'bestfit' });
          placeOps(e, ops);
          e.setTenant({ id: 't1', ...q });
          const rebuilt = new PlacementEngine(e.currentCluster(), { policy: 'bestfit', placements: e.snapshot() });
          probes.forEach((p, i) => {
            const req = withIds(`probe${i}`, p);
            let want;
            try {
              want = referencePlace(e.currentCluster(), e.snapshot(), req, policyByName('bestfit'));
            } catch (err) {
              if (!(err instanceof PlacementInputError)) throw err;
              return;
            }
            const got = e.place(req);
            expect(got).toEqual(rebuilt.place(req));
            expect(got.placed).toBe(want.placed);
            compared++;
          });
          expect(checkInvariants(e)).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
    expect(compared).toBeGreaterThan(100);
  });
});
