/* eslint-disable @typescript-eslint/no-explicit-any -- these tests read loosely typed Kubernetes JSON */
import * as k8s from '@kubernetes/client-node';
import { eventually, pod, startSimWithClients, type SimWithClients } from './sim-clients';

interface Seen {
  type: string;
  name?: string;
  rv?: string;
  code?: number;
  annotations?: Record<string, string>;
}

/** Starts a client-node watch and records its events until stopped. */
async function record(
  env: SimWithClients,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
): Promise<{ seen: Seen[]; done: Promise<unknown>; stop: () => void }> {
  const seen: Seen[] = [];
  let finish: (err: unknown) => void = () => undefined;
  const done = new Promise((resolve) => (finish = resolve));
  const controller = await new k8s.Watch(env.kc).watch(
    path,
    query,
    (type, obj: any) =>
      seen.push({
        type,
        name: obj?.metadata?.name,
        rv: obj?.metadata?.resourceVersion,
        code: obj?.code,
        annotations: obj?.metadata?.annotations,
      }),
    (err) => finish(err ?? 'closed'),
  );
  return { seen, done, stop: () => controller.abort() };
}

describe('kube-sim watches through @kubernetes/client-node', () => {
  let env: SimWithClients;
  beforeEach(async () => {
    env = await startSimWithClients({ historyLimit: 50 });
  });
  afterEach(() => env.sim.close());

  it('replays changes after a resourceVersion in order, and sends the current state as ADDED without one', async () => {
    await env.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'before' } } });
    const list = await env.core.listNamespacedConfigMap({ namespace: 'default' });
    await env.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after' } } });
    await env.core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'after', body: { data: { k: 'v' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await env.core.deleteNamespacedConfigMap({ namespace: 'default', name: 'before' });
    const resumed = await record(env, '/api/v1/namespaces/default/configmaps', {
      resourceVersion: list.metadata?.resourceVersion,
    });
    await eventually(() => resumed.seen.length >= 3, 'three events');
    expect(resumed.seen.map((e) => [e.type, e.name])).toEqual([
      ['ADDED', 'after'],
      ['MODIFIED', 'after'],
      ['DELETED', 'before'],
    ]);
    const rvs = resumed.seen.map((e) => Number(e.rv));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
    resumed.stop();
    const fresh = await record(env, '/api/v1/namespaces/default/configmaps', {});
    await eventually(() => fresh.seen.length >= 1, 'initial state');
    expect(fresh.seen.map((e) => [e.type, e.name])).toEqual([['ADDED', 'after']]);
    fresh.stop();
  });

  it('sends an object leaving the label selector as DELETED and one entering it as ADDED', async () => {
    const w = await record(env, '/api/v1/namespaces/default/configmaps', {
      labelSelector: 'team=a',
      resourceVersion: String(env.sim.store.resourceVersion),
    });
    await env.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'mover', labels: { team: 'b' } } },
    });
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    await env.core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'mover', body: { metadata: { labels: { team: 'a' } } } },
      merge,
    );
    await env.core.patchNamespacedConfigMap({ namespace: 'default', name: 'mover', body: { data: { x: '1' } } }, merge);
    await env.core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'mover', body: { metadata: { labels: { team: 'c' } } } },
      merge,
    );
    await eventually(() => w.seen.length >= 3, 'three events');
    expect(w.seen.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    w.stop();
  });

  it('sends BOOKMARKs when asked, with the initial-events-end marker for sendInitialEvents', async () => {
    await env.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'one' } } });
    const w = await record(env, '/api/v1/namespaces/default/configmaps', {
      allowWatchBookmarks: true,
      sendInitialEvents: true,
      resourceVersionMatch: 'NotOlderThan',
    });
    await eventually(() => w.seen.filter((e) => e.type === 'BOOKMARK').length >= 2, 'two bookmarks');
    expect(w.seen[0]).toMatchObject({ type: 'ADDED', name: 'one' });
    expect(w.seen[1]).toMatchObject({ type: 'BOOKMARK', annotations: { 'k8s.io/initial-events-end': 'true' } });
    expect(Number(w.seen[2].rv)).toBeGreaterThanOrEqual(Number(w.seen[1].rv));
    w.stop();
  });

  it('answers a watch from a compacted resourceVersion with a 410 Expired ERROR event and closes it', async () => {
    const list = await env.core.listNamespacedConfigMap({ namespace: 'default' });
    for (let i = 0; i < 60; i++)
      await env.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `churn-${i}` } } });
    const w = await record(env, '/api/v1/namespaces/default/configmaps', {
      resourceVersion: list.metadata?.resourceVersion,
    });
    await w.done;
    expect(w.seen).toEqual([expect.objectContaining({ type: 'ERROR', code: 410 })]);
  });

  it('ends a watch after timeoutSeconds', async () => {
    const w = await record(env, '/api/v1/namespaces/default/pods', { timeoutSeconds: 1 });
    await expect(w.done).resolves.toBe('closed');
  });

  it('keeps an informer in sync across a compaction (relist on 410) and a dropped watch', async () => {
    const informer = k8s.makeInformer(env.kc, '/api/v1/namespaces/default/pods', () =>
      env.core.listNamespacedPod({ namespace: 'default' }),
    );
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    await env.core.createNamespacedPod({ namespace: 'default', body: pod('inf-1') });
    await eventually(() => informer.list().some((p) => p.metadata?.name === 'inf-1'), 'informer sees inf-1');
    // A change the informer does not watch moves the revision on; compaction then leaves the informer's last
    // version behind, so when its watch is cut it resumes from a compacted version, gets 410 and relists.
    await env.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'noise' } } });
    env.sim.compactHistory();
    const connects: unknown[] = [];
    informer.on('connect', () => connects.push(1));
    env.sim.faults.dropWatches(false);
    await eventually(() => connects.length >= 2, 'a reconnect after the 410');
    await env.core.createNamespacedPod({ namespace: 'default', body: pod('inf-2') });
    env.sim.faults.dropWatches(false);
    await env.core.createNamespacedPod({ namespace: 'default', body: pod('inf-3') });
    await eventually(
      () => ['inf-1', 'inf-2', 'inf-3'].every((n) => informer.list().some((p) => p.metadata?.name === n)),
      'informer sees all pods',
    );
    expect(errors).toEqual([]);
    await informer.stop();
  });

  it('serves a full list of many pods and a watch that keeps up with them', async () => {
    const w = await record(env, '/api/v1/pods', { resourceVersion: String(env.sim.store.resourceVersion) });
    const objects = env.kc.makeApiClient(k8s.CoreV1Api);
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        objects.createNamespacedPod({ namespace: 'default', body: pod(`bulk-${i}`) }),
      ),
    );
    await eventually(() => w.seen.length >= 200, '200 watch events');
    expect(new Set(w.seen.map((e) => e.name)).size).toBe(200);
    const all = await env.core.listPodForAllNamespaces();
    expect(all.items).toHaveLength(200);
    w.stop();
  });
});
