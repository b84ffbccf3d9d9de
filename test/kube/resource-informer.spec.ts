/**
 * Informers through the real client-node watch against the embedded API, including its fault
 * injection: dropped watches, 500s, a compacted history (410 Gone) and a silent connection.
 */
import type {
  InformerMetricsHook,
  InformerRestartReason,
  PodObject,
  ResourceInformer,
  WatchEventType,
} from '@switchyard/kube';
import { eventually, startSimFixture, type SimFixture } from './kube-sim-fixture';

let fx: SimFixture;
let seq = 0;

beforeAll(async () => {
  fx = await startSimFixture({ port: 0, bookmarkIntervalMs: 60_000 });
});
afterAll(() => fx.close());

const informers: ResourceInformer<PodObject>[] = [];
afterEach(async () => {
  fx.sim.faults.clear();
  await Promise.all(informers.splice(0).map((i) => i.stop()));
});

class CountingMetrics implements InformerMetricsHook {
  readonly events = new Map<WatchEventType, number>();
  readonly restarts: InformerRestartReason[] = [];
  handlerErrors = 0;
  onEvent(_resource: string, type: WatchEventType): void {
    this.events.set(type, (this.events.get(type) ?? 0) + 1);
  }
  onRestart(_resource: string, reason: InformerRestartReason): void {
    this.restarts.push(reason);
  }
  onHandlerError(): void {
    this.handlerErrors += 1;
  }
}

async function namespace(): Promise<string> {
  const name = `inf-${++seq}`;
  await fx.cluster.connection.request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  });
  return name;
}

function pod(ns: string, name: string): PodObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'x' } },
    spec: { schedulerName: 'switchyard', containers: [{ name: 'c', image: 'busybox' }] },
  };
}

function track(ns: string, metrics: CountingMetrics, extra: Parameters<SimFixture['cluster']['podInformer']>[0] = {}) {
  const log: string[] = [];
  const informer = fx.cluster.podInformer({
    namespace: ns,
    metrics,
    backoff: { initialMs: 50, maxMs: 200 },
    ...extra,
  });
  informer.addHandlers({
    onAdd: (p) => void log.push(`add ${p.metadata.name}`),
    onUpdate: (p) => void log.push(`update ${p.metadata.name}`),
    onDelete: (p) => void log.push(`delete ${p.metadata.name}`),
  });
  informers.push(informer);
  return { informer, log };
}

const names = (i: ResourceInformer<PodObject>) =>
  i
    .list()
    .map((p) => p.metadata.name)
    .sort();

describe('ResourceInformer', () => {
  it('lists, then follows adds, updates and deletes, counting every watch event', async () => {
    const ns = await namespace();
    for (const n of ['a', 'b', 'c']) await fx.cluster.pods.create(pod(ns, n));
    const metrics = new CountingMetrics();
    const { informer, log } = track(ns, metrics);
    await informer.start();
    expect(names(informer)).toEqual(['a', 'b', 'c']);
    expect(informer.lastSyncResourceVersion).toMatch(/^\d+$/);

    await fx.cluster.pods.create(pod(ns, 'd'));
    await fx.cluster.pods.mergePatch(ns, 'a', { metadata: { labels: { touched: 'yes' } } });
    await fx.cluster.pods.delete(ns, 'b', { gracePeriodSeconds: 0 });
    await eventually(
      () => log.includes('add d') && log.includes('update a') && log.includes('delete b'),
      5000,
      'watch events',
    );
    expect(names(informer)).toEqual(['a', 'c', 'd']);
    expect(informer.get('a', ns)?.metadata.labels).toMatchObject({ touched: 'yes' });
    expect(metrics.events.get('ADDED')).toBeGreaterThanOrEqual(1);
    expect(metrics.events.get('MODIFIED')).toBeGreaterThanOrEqual(1);
    expect(metrics.events.get('DELETED')).toBeGreaterThanOrEqual(1);
  });

  it('keeps delivering after a handler throws or rejects', async () => {
    const ns = await namespace();
    const metrics = new CountingMetrics();
    const { informer, log } = track(ns, metrics);
    informer.addHandlers({
      onAdd: (p) => {
        if (p.metadata.name === 'boom') throw new Error('handler bug');
      },
      onUpdate: async () => {
        throw new Error('async handler bug');
      },
    });
    await informer.start();
    await fx.cluster.pods.create(pod(ns, 'boom'));
    await fx.cluster.pods.mergePatch(ns, 'boom', { metadata: { labels: { v: '2' } } });
    await fx.cluster.pods.create(pod(ns, 'after'));
    await eventually(() => log.includes('add after'), 5000, 'the event after the throwing handler');
    await eventually(() => metrics.handlerErrors >= 2, 2000, 'both handler failures counted');
  });

  it('relists after 410 Gone when its resource version was compacted away', async () => {
    const ns = await namespace();
    for (const n of ['keep', 'gone']) await fx.cluster.pods.create(pod(ns, n));
    const metrics = new CountingMetrics();
    const { informer, log } = track(ns, metrics);
    await informer.start();
    await fx.cluster.pods.mergePatch(ns, 'keep', { metadata: { labels: { watch: 'live' } } });
    await eventually(() => log.includes('update keep'), 5000, 'the watch to be established');

    // Hold the informer's next watch request back while the history moves on and is compacted.
    // The changes are made in-process: the simulator's latency applies to every method (SIM-GAPS.md #2).
    fx.sim.faults.set({ latencyMs: 400, methods: ['GET'] });
    fx.sim.faults.dropWatches(false);
    const pods = fx.sim.api.type('', 'pods');
    fx.sim.api.delete(pods, ns, 'gone', { gracePeriodSeconds: 0 });
    fx.sim.api.create(pods, 'v1', ns, pod(ns, 'new'));
    fx.sim.compactHistory();
    await eventually(() => metrics.restarts.includes('gone'), 8000, 'a 410 restart');
    fx.sim.faults.clear();
    await eventually(() => names(informer).join() === 'keep,new', 8000, 'the relisted cache');
    expect(log).toEqual(expect.arrayContaining(['delete gone', 'add new']));
  });

  it('restarts with backoff through dropped watches and 500s, then catches up', async () => {
    const ns = await namespace();
    const metrics = new CountingMetrics();
    const { informer } = track(ns, metrics);
    await informer.start();

    fx.sim.faults.set({ errorRate: 1, methods: ['GET'] });
    fx.sim.faults.dropWatches(true);
    await fx.cluster.pods.create(pod(ns, 'while-down'));
    await eventually(() => metrics.restarts.filter((r) => r === 'error').length >= 3, 8000, 'repeated failed restarts');
    expect(informer.get('while-down', ns)).toBeUndefined();
    fx.sim.faults.clear();
    await eventually(() => informer.get('while-down', ns), 8000, 'the pod created during the outage');
  });

  it('relists when the watch is silent for too long (watchdog)', async () => {
    const ns = await namespace();
    const metrics = new CountingMetrics();
    const { informer } = track(ns, metrics, { staleAfterMs: 300 });
    await informer.start();
    await eventually(() => metrics.restarts.includes('stale'), 5000, 'a watchdog restart');
    await fx.cluster.pods.create(pod(ns, 'still-seen'));
    await eventually(() => informer.get('still-seen', ns), 5000, 'events after the watchdog restart');
  });
});

describe('stop', () => {
  it('stops promptly when asked while its first list is still in flight (no watch is left open)', async () => {
    const ns = await namespace();
    const informer = fx.cluster.podInformer({ namespace: ns, watchTimeoutSeconds: 600 });
    const synced = informer.start();
    // Stop before the list can have answered: the loop must not go on to open a watch.
    const stopping = informer.stop();
    await expect(synced).rejects.toThrow(/stopped before it synced/);
    const outcome = await Promise.race([
      stopping.then(() => 'stopped'),
      new Promise((r) => setTimeout(() => r('still running'), 3000)),
    ]);
    expect(outcome).toBe('stopped');
  });
});
