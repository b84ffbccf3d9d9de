import * as k8s from '@kubernetes/client-node';
import { eventually, failure, rawRequest, startSimWithClients, type SimWithClients } from './sim-clients';

describe('kube-sim fault injection', () => {
  let env: SimWithClients;
  beforeEach(async () => {
    env = await startSimWithClients();
  });
  afterEach(() => env.sim.close());

  it('answers 500 InternalError and 429 TooManyRequests with Retry-After, then recovers when cleared', async () => {
    env.sim.faults.set({ errorRate: 1 });
    const broken = await failure(env.core.listNamespacedPod({ namespace: 'default' }));
    expect(broken).toMatchObject({ code: 500, body: { reason: 'InternalError', kind: 'Status' } });
    env.sim.faults.set({ throttleRate: 1, retryAfterSeconds: 3 });
    const throttled = await rawRequest(env.sim, 'GET', '/api/v1/namespaces/default/pods');
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('3');
    expect(throttled.body).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } });
    // Discovery stays up, so clients can still find the API while resource calls fail.
    expect((await rawRequest(env.sim, 'GET', '/api/v1')).status).toBe(200);
    env.sim.faults.clear();
    await expect(env.core.listNamespacedPod({ namespace: 'default' })).resolves.toBeDefined();
  });

  it('fails a seeded, reproducible fraction of requests, only for the chosen methods', async () => {
    const outcomes = async (): Promise<number[]> => {
      env.sim.faults.set({ errorRate: 0.3, seed: 42, methods: ['POST'] });
      const codes: number[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await rawRequest(env.sim, 'POST', '/api/v1/namespaces/default/configmaps', {
          body: { metadata: { generateName: 'f-' } },
        });
        codes.push(res.status);
        expect((await rawRequest(env.sim, 'GET', '/api/v1/namespaces/default/configmaps')).status).toBe(200);
      }
      return codes;
    };
    const first = await outcomes();
    const second = await outcomes();
    expect(second).toEqual(first);
    const failed = first.filter((c) => c === 500).length;
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(40);
    expect(first.filter((c) => c !== 500).every((c) => c === 201)).toBe(true);
    // Nothing half-done: exactly the successful creates exist.
    const listed = await env.core.listNamespacedConfigMap({ namespace: 'default' });
    expect(listed.items.filter((c) => c.metadata?.name?.startsWith('f-'))).toHaveLength(2 * (40 - failed));
  });

  it('adds latency without failing requests', async () => {
    env.sim.faults.set({ latencyMs: 30 });
    await expect(
      env.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'slow' } } }),
    ).resolves.toMatchObject({ metadata: { name: 'slow' } });
  });

  it('rejects fault rates outside 0..1', () => {
    expect(() => env.sim.faults.set({ errorRate: 1.5 })).toThrow(RangeError);
  });

  it('cuts watches abruptly (clients see an error) or after a set lifetime', async () => {
    const errors: unknown[] = [];
    await new k8s.Watch(env.kc).watch(
      '/api/v1/namespaces/default/pods',
      {},
      () => undefined,
      (err) => errors.push(err ?? 'closed'),
    );
    await eventually(() => env.sim.faults.dropWatches() === 1, 'the watch to be registered');
    await eventually(() => errors.length === 1, 'the watch to end');
    expect(errors[0]).toBeInstanceOf(Error);

    env.sim.faults.set({ dropWatchesAfterMs: 50 });
    const ended: unknown[] = [];
    await new k8s.Watch(env.kc).watch(
      '/api/v1/namespaces/default/pods',
      {},
      () => undefined,
      (err) => ended.push(err ?? 'closed'),
    );
    await eventually(() => ended.length === 1, 'the watch to be cut');
    expect(env.sim.faults.injected.droppedWatches).toBe(2);
  });
});
