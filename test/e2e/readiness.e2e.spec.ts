/**
 * A control plane pointed at a cluster without the ModelDeployment CRD still listens: /healthz
 * answers, /readyz says not ready and why, and once the CRD is installed the informers list,
 * a leader is elected and /readyz turns ready; an inventory that cannot be loaded is reported
 * too. Real app, real runtime, the embedded API over TLS, PostgreSQL.
 */
import { readFileSync } from 'node:fs';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { parseTopology } from '@switchyard/contracts';
import { startKubeSim, type KubeSim } from '@switchyard/kube-sim';
import { ControlPlaneMetrics } from '@switchyard/telemetry';
import { createApp } from '../../apps/control-plane/src/app';
import { applyModelDeploymentCrd } from '../../apps/control-plane/src/kubernetes/embedded-kubernetes';
import type { KubernetesRuntime } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import { createRootLogger } from '../../apps/control-plane/src/logging/logger';
import { testConfig } from '../http/support/http-test-app';
import { DEMO_TOPOLOGY_FILE, eventually, openWorld, startRuntime, type E2eWorld } from './e2e-support';

describe('readiness without the ModelDeployment CRD', () => {
  let world: E2eWorld;
  let sim: KubeSim;
  let runtime: KubernetesRuntime;
  let app: INestApplication;

  beforeAll(async () => {
    world = await openWorld();
    sim = await startKubeSim({
      port: 0,
      topology: parseTopology(readFileSync(DEMO_TOPOLOGY_FILE, 'utf8')),
      kubeletDelayMs: 20,
    });
    runtime = await startRuntime(world, { kind: 'cluster', source: { kind: 'yaml', yaml: sim.kubeconfig() } });
    app = await createApp({
      config: testConfig,
      log: createRootLogger('silent'),
      metrics: new ControlPlaneMetrics({ processMetrics: false }),
      inventory: world.inventory,
      kubernetes: runtime,
    });
  });

  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    await sim?.close();
    await world?.dispose();
  });

  it('serves /healthz, reports the missing CRD on /readyz, and becomes ready once it is installed', async () => {
    const http = request(app.getHttpServer());
    await http.get('/healthz').expect(200);
    const notReady = await http.get('/readyz').expect(503);
    expect(JSON.stringify(notReady.body)).toMatch(/modeldeployments \(is the CRD installed\?\)/);
    expect(runtime.isLeader).toBe(false); // nobody campaigns before the informers have listed

    await applyModelDeploymentCrd(runtime.cluster);
    await eventually(async () => (await http.get('/readyz')).status === 200, 30_000, 'ready after the CRD');
    await eventually(() => runtime.isLeader && runtime.scheduler.isActive, 15_000, 'leadership');
    const ready = await http.get('/readyz').expect(200);
    expect(JSON.stringify(ready.body)).toMatch(/leader/);
  });

  it('says not ready, and why, while the inventory cannot be loaded, and ready again once it can', async () => {
    const http = request(app.getHttpServer());
    await eventually(async () => (await http.get('/readyz')).status === 200, 30_000, 'ready');
    const rename = (from: string, to: string) =>
      world.db.database.withSession((session) => session.exec(`ALTER TABLE "${from}" RENAME TO "${to}"`));
    await rename('scopes', 'scopes_away');
    try {
      await expect(runtime.refreshInventory()).rejects.toThrow();
      const notReady = await http.get('/readyz').expect(503);
      expect(JSON.stringify(notReady.body)).toMatch(/the inventory cannot be loaded/);
    } finally {
      await rename('scopes_away', 'scopes');
    }
    await runtime.refreshInventory();
    await http.get('/readyz').expect(200);
  });
});
