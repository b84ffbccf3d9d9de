/**
 * The scheduling REST API (deployments, placements, explanations) over HTTP, with the app's
 * auth guard and problem+json, against a scheduler placing real ModelDeployments on the
 * embedded API with PostgreSQL. Served by the leader and by a follower.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import type { KubernetesRuntime } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import { REPO, eventually, openWorld, startLeadingEmbeddedRuntime, type E2eWorld } from './e2e-support';
import { schedulingHttpApp } from './scheduling-http-app';

describe('scheduling REST API', () => {
  let world: E2eWorld;
  let runtime: KubernetesRuntime;

  beforeAll(async () => {
    world = await openWorld();
    runtime = await startLeadingEmbeddedRuntime(world, 20);
    const cluster = runtime.cluster;
    for (const file of ['modeldeployment.yaml', 'modeldeployment-gang.yaml']) {
      const doc = parse(readFileSync(join(REPO, 'deploy/examples', file), 'utf8')) as {
        metadata: { name: string };
        spec: never;
      };
      await cluster.modelDeployments.create({ metadata: { ...doc.metadata, namespace: 'default' }, spec: doc.spec });
    }
    await cluster.pods.create({
      metadata: { name: 'nine-gpus', namespace: 'default' },
      spec: {
        schedulerName: 'switchyard',
        containers: [{ name: 'c', image: 'busybox', resources: { limits: { 'nvidia.com/gpu': '9' } } }],
      },
    });
    await eventually(
      async () => (await cluster.modelDeployments.get('default', 'llama-vision-90b'))?.status?.placed === 1,
      20_000,
      'gang placed',
    );
    await eventually(
      async () => (await cluster.modelDeployments.get('default', 'qwen-vl-32b'))?.status?.placed === 2,
      20_000,
      'qwen placed',
    );
    await eventually(() => runtime.scheduler.explanation('default', 'nine-gpus'), 10_000, 'explanation');
  });

  afterAll(async () => {
    await runtime?.close();
    await world?.dispose();
  });

  it('serves deployments, placements and explanations over REST with auth and problem+json', async () => {
    const { app, token } = await schedulingHttpApp(world.inventory, runtime);
    try {
      const http = request(app.getHttpServer());
      const viewer = { Authorization: `Bearer ${await token('viewer')}` };
      await http.get('/api/v1/deployments').expect(401);
      const list = await http.get('/api/v1/deployments').set(viewer).expect(200);
      const qwen = list.body.items.find((d: { name: string }) => d.name === 'qwen-vl-32b');
      expect(qwen).toMatchObject({ namespace: 'default', model: 'qwen2.5-vl-32b-instruct', replicas: 2, placed: 2 });
      const page = await http.get('/api/v1/deployments?limit=1').set(viewer).expect(200);
      expect(page.body.items).toHaveLength(1);
      const next = await http.get(`/api/v1/deployments?limit=1&cursor=${page.body.nextCursor}`).set(viewer).expect(200);
      expect(next.body.items[0].name).not.toBe(page.body.items[0].name);

      const detail = await http.get('/api/v1/deployments/default/llama-vision-90b').set(viewer).expect(200);
      expect(detail.body.placements).toHaveLength(2);
      expect(detail.body.predictedWatts).toBe(2 * 8 * 650);
      expect(detail.body.spec.podsPerReplica).toBe(2);
      await http
        .get('/api/v1/deployments/default/nope')
        .set(viewer)
        .expect(404)
        .expect('content-type', /application\/problem\+json/);
      await http.get('/api/v1/deployments/default/Not_A_Name').set(viewer).expect(400);

      const byDeployment = await http
        .get('/api/v1/placements?deployment=default/llama-vision-90b')
        .set(viewer)
        .expect(200);
      expect(byDeployment.body.items.map((p: { pod: { name: string } }) => p.pod.name).sort()).toEqual(
        detail.body.placements.map((p: { pod: { name: string } }) => p.pod.name).sort(),
      );
      const node = byDeployment.body.items[0].node;
      const byNode = await http.get(`/api/v1/placements?node=${node}`).set(viewer).expect(200);
      expect(byNode.body.items.every((p: { node: string }) => p.node === node)).toBe(true);
      const paged = await http.get('/api/v1/placements?limit=2').set(viewer).expect(200);
      expect(paged.body.items).toHaveLength(2);
      expect(paged.body.nextCursor).toEqual(expect.any(String));
      const bad = await http.get('/api/v1/placements?limit=abc').set(viewer).expect(400);
      expect(JSON.stringify(bad.body)).toMatch(/limit/);
      await http.get('/api/v1/placements?tenant=nobody').set(viewer).expect(200, { items: [], nextCursor: null });

      const why = await http.get('/api/v1/pods/default/nine-gpus/explanation').set(viewer).expect(200);
      expect(why.body).toMatchObject({ namespace: 'default', name: 'nine-gpus', source: 'scheduler' });
      expect(why.body.message).toMatch(/9 GPUs requested/);
      const placedPod = detail.body.placements[0].pod.name;
      await http.get(`/api/v1/pods/default/${placedPod}/explanation`).set(viewer).expect(404);
    } finally {
      await app.close();
    }
  });
});
