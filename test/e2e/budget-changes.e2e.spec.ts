/**
 * Budget changes reach the scheduler at once: an override created or cancelled through the
 * REST API, an override's own start and end, and a scope PATCH, each seen by the next
 * placement decision; and an override written by another replica (straight into PostgreSQL)
 * is picked up by the leader's reconciliation. Through the real app, the real runtime on the
 * embedded Kubernetes API and PostgreSQL. The reconciliation interval is long in the first
 * suite, so only the direct path can explain what it sees; no wait exceeds a loop tick.
 */
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import type { INestApplication } from '@nestjs/common';
import type { PodObject } from '@switchyard/kube';
import { ControlPlaneMetrics } from '@switchyard/telemetry';
import { createApp } from '../../apps/control-plane/src/app';
import type { KubernetesRuntime } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import { createRootLogger } from '../../apps/control-plane/src/logging/logger';
import { testConfig } from '../http/support/http-test-app';
import { eventually, openWorld, startLeadingEmbeddedRuntime, type E2eWorld } from './e2e-support';

/** A loop tick of the power loop: the longest any change may take to be seen. */
const TICK_MS = 10_000;

function gpuPod(name: string): PodObject {
  return {
    metadata: { name, namespace: 'default', annotations: { 'switchyard.io/watts-per-gpu': '700' } },
    spec: {
      schedulerName: 'switchyard',
      containers: [{ name: 'c', image: 'busybox', resources: { limits: { 'nvidia.com/gpu': '1' } } }],
    },
  } as PodObject;
}

async function startWorld(reconcileMs: number) {
  const world = await openWorld();
  const runtime = await startLeadingEmbeddedRuntime(world, 20, { extra: { reconcileMs } });
  const app = await createApp({
    config: testConfig,
    log: createRootLogger('silent'),
    metrics: new ControlPlaneMetrics({ processMetrics: false }),
    inventory: world.inventory,
    kubernetes: runtime,
  });
  const operator = await world.inventory.tokens.create({ name: 'op', role: 'operator' }, { actor: 'test' });
  const site = (await world.inventory.scopes.summaries()).find((s) => s.kind === 'site');
  if (!site) throw new Error('no site');
  return {
    world,
    runtime,
    app,
    http: request(app.getHttpServer()),
    auth: { Authorization: `Bearer ${operator.token}` },
    site,
  };
}

describe('budget changes reach the next placement decision', () => {
  let world: E2eWorld;
  let runtime: KubernetesRuntime;
  let app: INestApplication;
  let http: TestAgent;
  let auth: Record<string, string>;
  let siteId: string;
  let builds: number;

  beforeAll(async () => {
    ({
      world,
      runtime,
      app,
      http,
      auth,
      site: { id: siteId },
    } = await startWorld(600_000));
    builds = runtime.state.stats().engineBuilds;
  });

  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    await world?.dispose();
  });

  const nodeOf = async (name: string) => (await runtime.cluster.pods.get('default', name))?.spec.nodeName;
  const bound = (name: string) => eventually(() => nodeOf(name), TICK_MS, `${name} bound`);
  const refusedBySite = (name: string) =>
    eventually(
      () => runtime.scheduler.explanation('default', name)?.reasons.some((r) => r.reason === 'site-power'),
      TICK_MS,
      `${name} refused for site power`,
    );

  it('an override created over REST refuses the next pod; cancelling it lets the pod in', async () => {
    const now = Date.now();
    const created = await http
      .post('/api/v1/budget-overrides')
      .set(auth)
      .send({
        scopeId: siteId,
        watts: 1,
        startsAt: new Date(now - 1000).toISOString(),
        endsAt: new Date(now + 3600_000).toISOString(),
        reason: 'grid event',
      })
      .expect(201);
    expect(runtime.state.budgetWatts(siteId)).toBe(1);
    await runtime.cluster.pods.create(gpuPod('during-cut'));
    await refusedBySite('during-cut');
    expect(await nodeOf('during-cut')).toBeUndefined();
    await http.delete(`/api/v1/budget-overrides/${created.body.id}`).set(auth).expect(204);
    await bound('during-cut');
  });

  it('a scheduled override takes effect at its start and lifts at its end, on its own timer', async () => {
    const startsAt = Date.now() + 1500;
    await http
      .post('/api/v1/budget-overrides')
      .set(auth)
      .send({
        scopeId: siteId,
        watts: 1,
        startsAt: new Date(startsAt).toISOString(),
        endsAt: new Date(startsAt + 2500).toISOString(),
        reason: 'scheduled grid event',
      })
      .expect(201);
    expect(runtime.state.budgetWatts(siteId)).toBeGreaterThan(1); // not yet in force
    await eventually(() => runtime.state.budgetWatts(siteId) === 1, TICK_MS, 'override in force at its start');
    await runtime.cluster.pods.create(gpuPod('in-window'));
    await refusedBySite('in-window');
    await eventually(() => (runtime.state.budgetWatts(siteId) ?? 0) > 1, TICK_MS, 'override lifted at its end');
    await bound('in-window');
  });

  it('a scope PATCH is seen by the next decision, and raising it again lets waiting pods in', async () => {
    const before = await http.get(`/api/v1/scopes/${siteId}`).set(auth).expect(200);
    await http.patch(`/api/v1/scopes/${siteId}`).set(auth).send({ capacityWatts: 1 }).expect(200);
    expect(runtime.state.budgetWatts(siteId)).toBe(Math.floor(1 * before.body.oversubscriptionRatio));
    await runtime.cluster.pods.create(gpuPod('after-patch'));
    await refusedBySite('after-patch');
    await http
      .patch(`/api/v1/scopes/${siteId}`)
      .set(auth)
      .send({ capacityWatts: before.body.capacityWatts })
      .expect(200);
    await bound('after-patch');
    expect(runtime.state.overBudget()).toEqual([]);
    expect(runtime.state.stats().engineBuilds).toBe(builds); // every change above was incremental
  });
  it('a tenant created, changed and deleted over REST reaches the cluster state at once', async () => {
    const created = await http.post('/api/v1/tenants').set(auth).send({ name: 'vision', gpuQuota: 4 }).expect(201);
    expect(runtime.state.knowsTenant('vision')).toBe(true);
    expect([...runtime.state.heldTenants()].find((t) => t.id === 'vision')?.gpuQuota).toBe(4);
    await http.patch(`/api/v1/tenants/${created.body.id}`).set(auth).send({ gpuQuota: 8 }).expect(200);
    expect([...runtime.state.heldTenants()].find((t) => t.id === 'vision')?.gpuQuota).toBe(8);
    await http.delete(`/api/v1/tenants/${created.body.id}`).set(auth).expect(204);
    expect(runtime.state.knowsTenant('vision')).toBe(false);
  });
});

describe('writes by another replica', () => {
  let ctx: Awaited<ReturnType<typeof startWorld>>;

  beforeAll(async () => {
    ctx = await startWorld(300);
  });

  afterAll(async () => {
    await ctx?.app.close();
    await ctx?.runtime.close();
    await ctx?.world.dispose();
  });

  it("reach the leader's cluster state through reconciliation, without a rebuild", async () => {
    const { world, runtime, site } = ctx;
    const builds = runtime.state.stats().engineBuilds;
    const now = Date.now();
    // Straight into PostgreSQL, as a follower's API would: this process's services never see it.
    const override = await world.inventory.budgetOverrides.create(
      {
        scopeId: site.id,
        watts: 7,
        startsAt: new Date(now - 1000),
        endsAt: new Date(now + 3600_000),
        reason: 'remote',
      },
      { actor: 'other-replica' },
    );
    await eventually(() => runtime.state.budgetWatts(site.id) === 7, TICK_MS, 'remote override applied');
    await world.inventory.budgetOverrides.cancel(override.id, { actor: 'other-replica' });
    await eventually(() => runtime.state.budgetWatts(site.id) !== 7, TICK_MS, 'remote cancellation applied');
    await world.inventory.scopes.update(site.id, { capacityWatts: 5 }, { actor: 'other-replica' });
    await eventually(() => (runtime.state.budgetWatts(site.id) ?? 0) <= 5 * 2, TICK_MS, 'remote PATCH applied');
    await world.inventory.tenants.create({ name: 'remote-tenant', gpuQuota: 2 }, { actor: 'other-replica' });
    await eventually(() => runtime.state.knowsTenant('remote-tenant'), TICK_MS, 'remote tenant applied');
    expect(runtime.state.stats().engineBuilds).toBe(builds);
  });

  it('a topology import by another replica is a structural change: one full reload, placements kept', async () => {
    const { world, runtime } = ctx;
    const builds = runtime.state.stats().engineBuilds;
    await world.inventory.topology.import(world.topology, { actor: 'other-replica' });
    await eventually(() => runtime.state.stats().engineBuilds === builds + 1, TICK_MS, 'reloaded once');
    expect(runtime.state.active).toBe(true);
  });
});
