/**
 * The switchyard_scope_* series through the real app's /metrics over a real PostgreSQL: each
 * scope's budget (with an override in force), predicted watts and GPUs as the database has
 * them, the same numbers from a second app (another replica) on the same database, and the
 * cardinality rule (busy GPUs and nodes not per rack).
 */
import { type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { Inventory } from '@switchyard/inventory';
import { ControlPlaneMetrics } from '@switchyard/telemetry';
import { createApp } from '../../apps/control-plane/src/app';
import { createRootLogger } from '../../apps/control-plane/src/logging/logger';
import { openHttpTestApp, smallTopology, testConfig, type HttpTestApp } from './support/http-test-app';

/** `name{labels} value` lines of one metric, as label-string -> number. */
function series(exposition: string, name: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of exposition.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match && match[1] === name) found.set(match[2] ?? '', Number(match[3]));
  }
  return found;
}

const labels = (scope: string, kind: string) => `{scope="${scope}",scope_kind="${kind}"}`;

let t: HttpTestApp;
let rackPath: string;
let rowPath: string;
let hallPath: string;
let sitePath: string;
beforeAll(async () => {
  t = await openHttpTestApp({ topology: smallTopology() });
  const summaries = await t.inventory.scopes.summaries();
  const rack = summaries.find((s) => s.kind === 'rack')!;
  const byId = new Map(summaries.map((s) => [s.id, s]));
  const row = byId.get(rack.parentId!)!;
  const hall = byId.get(row.parentId!)!;
  [rackPath, rowPath, hallPath, sitePath] = [rack.path, row.path, hall.path, byId.get(hall.parentId!)!.path];
  // One pod on two whole GPUs and one on half a GPU, in the first rack; a grid-event override on the hall.
  const node = (await t.inventory.nodes.list({ scopeId: rack.id, limit: 1 })).items[0];
  await t.inventory.allocations.create({
    podUid: 'uid-a',
    podNamespace: 'default',
    podName: 'a',
    nodeName: node.name,
    gpus: [
      { index: 0, shareMilli: 1000 },
      { index: 1, shareMilli: 1000 },
    ],
    predictedWatts: 1400,
  });
  await t.inventory.allocations.create({
    podUid: 'uid-b',
    podNamespace: 'default',
    podName: 'b',
    nodeName: node.name,
    gpus: [{ index: 2, shareMilli: 500 }],
    predictedWatts: 350,
  });
  const now = Date.now();
  await t.inventory.budgetOverrides.create(
    {
      scopeId: hall.id,
      watts: 123_000,
      startsAt: new Date(now - 60_000),
      endsAt: new Date(now + 3_600_000),
      reason: 'grid event',
    },
    { actor: 'test' },
  );
});
afterAll(() => t.close());

describe('scope metrics on /metrics', () => {
  let text: string;
  beforeAll(async () => {
    text = (await t.http.get('/metrics').expect(200)).text;
  });

  it('every scope has its budget, predicted watts and GPUs, equal to the scope tree of the database', async () => {
    const summaries = await t.inventory.scopes.summaries();
    const budget = series(text, 'switchyard_scope_budget_watts');
    const predicted = series(text, 'switchyard_scope_predicted_watts');
    const gpus = series(text, 'switchyard_scope_gpus');
    const allocated = series(text, 'switchyard_scope_gpus_allocated');
    expect(budget.size).toBe(summaries.length);
    for (const s of summaries) {
      const key = labels(s.path, s.kind);
      expect([key, budget.get(key)]).toEqual([key, s.effectiveBudgetWatts]);
      expect([key, predicted.get(key)]).toEqual([key, s.allocatedWatts]);
      expect([key, gpus.get(key)]).toEqual([key, s.gpusTotal]);
      expect([key, allocated.get(key)]).toEqual([key, s.gpusAllocatedMilli / 1000]);
    }
  });

  it('shows the allocations from the rack up to the site, and the override as the hall budget', () => {
    const rack = labels(rackPath, 'rack');
    const hall = labels(hallPath, 'hall');
    const site = labels(sitePath, 'site');
    for (const key of [rack, labels(rowPath, 'row'), hall, site]) {
      expect(series(text, 'switchyard_scope_predicted_watts').get(key)).toBe(1750);
      expect(series(text, 'switchyard_scope_gpus_allocated').get(key)).toBe(2.5);
    }
    expect(series(text, 'switchyard_scope_gpus_busy').get(hall)).toBe(3);
    expect(series(text, 'switchyard_scope_budget_watts').get(hall)).toBe(123_000);
    expect([...series(text, 'switchyard_scope_budget_override_watts')]).toEqual([[hall, 123_000]]);
    expect(series(text, 'switchyard_scope_gpus').get(site)).toBe(128);
    expect(series(text, 'switchyard_scope_nodes').get(site)).toBe(16);
  });

  it('busy GPUs and node counts stop above the racks (series bounded at campus scale)', () => {
    for (const name of ['switchyard_scope_gpus_busy', 'switchyard_scope_nodes']) {
      const kinds = [...series(text, name).keys()].map((key) => /scope_kind="(\w+)"/.exec(key)![1]);
      expect(new Set(kinds)).toEqual(new Set(['site', 'hall', 'row']));
    }
  });

  it('says in HELP how to aggregate across replicas, and reports its own freshness and readiness', () => {
    expect(text).toContain('# TYPE switchyard_scope_budget_watts gauge');
    expect(text).toMatch(/# HELP switchyard_scope_budget_watts .*max by \(scope\) across replicas/);
    expect(series(text, 'switchyard_scope_snapshot_age_seconds').get('')).toBeGreaterThanOrEqual(0);
    expect(series(text, 'switchyard_scope_snapshot_duration_seconds').get('')).toBeGreaterThan(0);
    expect(series(text, 'switchyard_scope_snapshot_errors_total').get('')).toBe(0);
    expect(series(text, 'switchyard_ready').get('')).toBe(1);
  });

  it('a second replica on the same database reports the same scope numbers', async () => {
    let other: INestApplication | undefined;
    try {
      other = await createApp({
        config: testConfig,
        log: createRootLogger('silent'),
        metrics: new ControlPlaneMetrics({ processMetrics: false }),
        inventory: new Inventory(t.db.database),
      });
      const theirs = (await request(other.getHttpServer()).get('/metrics').expect(200)).text;
      for (const name of [
        'switchyard_scope_budget_watts',
        'switchyard_scope_predicted_watts',
        'switchyard_scope_gpus',
      ]) {
        expect(series(theirs, name)).toEqual(series(text, name));
      }
    } finally {
      await other?.close();
    }
  });
});
