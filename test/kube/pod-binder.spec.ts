/** Binder, event recorder and evictor through the real client-node against the embedded API. */
import { ANNOTATION, formatGpuAnnotation } from '@switchyard/contracts';
import { PodAlreadyBoundError, PodGoneError, type KubeList, type KubeObject, type PodObject } from '@switchyard/kube';
import { eventually, startSimFixture, type SimFixture } from './kube-sim-fixture';

let fx: SimFixture;
let seq = 0;
const NODE = 'gpu-node-binder-1';

beforeAll(async () => {
  fx = await startSimFixture();
  fx.sim.nodes.add(NODE, { gpus: 8 });
});
afterAll(() => fx.close());

async function freshPod(): Promise<PodObject> {
  const ns = `bind-${++seq}`;
  await fx.cluster.connection.request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
  });
  return fx.cluster.pods.create({
    metadata: { name: 'p', namespace: ns },
    spec: {
      schedulerName: 'switchyard',
      containers: [{ name: 'c', image: 'vllm', resources: { limits: { 'nvidia.com/gpu': '2' } } }],
    },
  });
}

const GPUS = [
  { index: 0, uuid: 'GPU-11111111-2222-3333-4444-555555555555' },
  { index: 3, uuid: 'GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' },
];

// The annotation's format itself is tested with its definition (libs/contracts).
describe('PodBinder', () => {
  it('binds a pod to its node and annotates the GPUs and the power limit', async () => {
    const p = await freshPod();
    const ns = p.metadata.namespace!;
    await fx.cluster.binder.bind({
      namespace: ns,
      name: 'p',
      uid: p.metadata.uid,
      nodeName: NODE,
      gpus: GPUS,
      powerLimitWatts: 450,
    });
    const bound = await fx.cluster.pods.get(ns, 'p');
    expect(bound?.spec.nodeName).toBe(NODE);
    expect(bound?.metadata.annotations).toMatchObject({
      [ANNOTATION.gpus]: formatGpuAnnotation(GPUS),
      [ANNOTATION.powerLimitWatts]: '450',
    });
  });

  it('binds with one request: the Binding carries the annotations and the API server copies them onto the pod', async () => {
    const p = await freshPod();
    const ns = p.metadata.namespace!;
    const request = jest.spyOn(fx.cluster.connection, 'request');
    try {
      await fx.cluster.binder.bind({ namespace: ns, name: 'p', uid: p.metadata.uid, nodeName: NODE, gpus: GPUS });
      expect(request.mock.calls.map(([r]) => `${r.method} ${r.path}`)).toEqual([
        `POST /api/v1/namespaces/${ns}/pods/p/binding`,
      ]);
    } finally {
      request.mockRestore();
    }
    const bound = await fx.cluster.pods.get(ns, 'p');
    expect(bound?.spec.nodeName).toBe(NODE);
    expect(bound?.metadata.annotations?.[ANNOTATION.gpus]).toBe(formatGpuAnnotation(GPUS));
  });

  it('can also patch the annotations after the bind, for API servers that drop Binding annotations', async () => {
    const p = await freshPod();
    const ns = p.metadata.namespace!;
    const binder = fx.connectAgain(true).binder;
    await binder.bind({ namespace: ns, name: 'p', nodeName: NODE, gpus: GPUS.slice(0, 1) });
    const bound = await fx.cluster.pods.get(ns, 'p');
    expect(bound?.spec.nodeName).toBe(NODE);
    expect(bound?.metadata.annotations?.[ANNOTATION.gpus]).toBe(formatGpuAnnotation(GPUS.slice(0, 1)));
    expect(bound?.metadata.annotations?.[ANNOTATION.powerLimitWatts]).toBeUndefined();
  });

  it('reports a second bind as PodAlreadyBoundError (409), and a missing pod as PodGoneError', async () => {
    const p = await freshPod();
    const ns = p.metadata.namespace!;
    await fx.cluster.binder.bind({ namespace: ns, name: 'p', nodeName: NODE, gpus: GPUS });
    const second = fx.cluster.binder.bind({ namespace: ns, name: 'p', nodeName: NODE, gpus: GPUS });
    await expect(second).rejects.toBeInstanceOf(PodAlreadyBoundError);
    await expect(second).rejects.toMatchObject({ status: 409, namespace: ns, pod: 'p' });
    await expect(
      fx.cluster.binder.bind({ namespace: ns, name: 'nope', nodeName: NODE, gpus: GPUS }),
    ).rejects.toBeInstanceOf(PodGoneError);
  });
});

describe('EventRecorder', () => {
  it('creates Events kubectl describe shows, aggregating repeats into a count', async () => {
    const p = await freshPod();
    const ns = p.metadata.namespace!;
    const events = fx.cluster.eventRecorder({ component: 'switchyard-scheduler', instance: 'test-0' });
    const involved = { kind: 'Pod', namespace: ns, name: 'p', uid: p.metadata.uid };
    const why = '0/1 nodes fit: 1 rack power (needs 5.6 kW, best headroom 4.1 kW)';
    expect(await events.record(involved, 'Warning', 'FailedScheduling', why)).toBe('created');
    expect(await events.record(involved, 'Warning', 'FailedScheduling', why)).toBe('aggregated');
    expect(await events.record(involved, 'Warning', 'FailedScheduling', why)).toBe('aggregated');
    expect(await events.record(involved, 'Normal', 'Scheduled', `Successfully assigned ${ns}/p to ${NODE}`)).toBe(
      'created',
    );
    expect(await events.record(involved, 'Warning', 'Preempted', 'Preempted by critical pod ns/q')).toBe('created');

    const list = await fx.cluster.connection.request<KubeList<KubeObject & Record<string, unknown>>>({
      method: 'GET',
      path: `/api/v1/namespaces/${ns}/events`,
    });
    const byReason = Object.fromEntries(list.items.map((e) => [e.reason as string, e]));
    expect(list.items).toHaveLength(3);
    expect(byReason.FailedScheduling).toMatchObject({
      type: 'Warning',
      message: why,
      count: 3,
      involvedObject: { kind: 'Pod', name: 'p', namespace: ns, uid: p.metadata.uid },
      source: { component: 'switchyard-scheduler' },
    });
    expect(byReason.Scheduled).toMatchObject({ type: 'Normal', count: 1 });
    expect(byReason.Preempted).toMatchObject({ type: 'Warning', count: 1 });
  });

  it('queues emitted events for one background writer and drops, counting them, what a full queue cannot hold', async () => {
    const p = await freshPod();
    const ns = p.metadata.namespace!;
    const dropped: string[] = [];
    const events = fx.cluster.eventRecorder({ component: 'c', maxQueued: 2, onDropped: (r) => dropped.push(r) });
    const involved = { kind: 'Pod', namespace: ns, name: 'p', uid: p.metadata.uid };
    // The first goes straight to the writer, the next two wait in the queue, the last two find it full.
    const queued = [1, 2, 3, 4, 5].map((i) => events.emit(involved, 'Normal', 'Scheduled', `assignment ${i}`));
    expect(queued).toEqual([true, true, true, false, false]);
    expect(events.dropped).toBe(2);
    expect(dropped).toEqual(['Scheduled', 'Scheduled']);
    await events.flush();
    const list = await fx.cluster.connection.request<KubeList<KubeObject & Record<string, unknown>>>({
      method: 'GET',
      path: `/api/v1/namespaces/${ns}/events`,
    });
    expect(list.items.map((e) => e.message).sort()).toEqual(['assignment 1', 'assignment 2', 'assignment 3']);
    events.close();
    expect(events.emit(involved, 'Normal', 'Scheduled', 'after close')).toBe(false);
  });

  it('drops a waiting Normal event, not a Warning, when the queue is full', async () => {
    const p = await freshPod();
    const ns = p.metadata.namespace!;
    const dropped: string[] = [];
    const events = fx.cluster.eventRecorder({ component: 'c', maxQueued: 2, onDropped: (r) => dropped.push(r) });
    const involved = { kind: 'Pod', namespace: ns, name: 'p', uid: p.metadata.uid };
    expect(events.emit(involved, 'Normal', 'Scheduled', 'n1')).toBe(true); // straight to the writer
    expect(events.emit(involved, 'Normal', 'Scheduled', 'n2')).toBe(true);
    expect(events.emit(involved, 'Normal', 'Scheduled', 'n3')).toBe(true);
    expect(events.emit(involved, 'Warning', 'FailedScheduling', 'w4')).toBe(true); // n2 makes room
    expect(events.emit(involved, 'Normal', 'Scheduled', 'n5')).toBe(false);
    expect(dropped).toEqual(['Scheduled', 'Scheduled']);
    await events.flush();
    const list = await fx.cluster.connection.request<KubeList<KubeObject & Record<string, unknown>>>({
      method: 'GET',
      path: `/api/v1/namespaces/${ns}/events`,
    });
    expect(list.items.map((e) => e.message).sort()).toEqual(['n1', 'n3', 'w4']);
  });

  it('never throws into the caller when the API refuses', async () => {
    const failures: string[] = [];
    const events = fx.cluster.eventRecorder({ component: 'c', onRecordFailed: (r) => failures.push(r) });
    expect(
      await events.record({ kind: 'Pod', namespace: 'no-such-namespace-x', name: 'p' }, 'Normal', 'Scheduled', 'm'),
    ).toBe('failed');
    expect(failures).toEqual(['Scheduled']);
  });
});

describe('PodEvictor', () => {
  it('evicts through the Eviction API and treats an absent pod as already gone', async () => {
    const p = await freshPod();
    const ns = p.metadata.namespace!;
    await fx.cluster.binder.bind({ namespace: ns, name: 'p', nodeName: NODE, gpus: GPUS });
    expect(await fx.cluster.evictor.evict({ namespace: ns, name: 'p', gracePeriodSeconds: 0 })).toBe('evicted');
    await eventually(
      async () => {
        const after = await fx.cluster.pods.get(ns, 'p');
        return after === undefined || after.metadata.deletionTimestamp !== undefined;
      },
      5000,
      'the pod to be deleted',
    );
    expect(await fx.cluster.evictor.evict({ namespace: ns, name: 'never-existed' })).toBe('already-gone');
  });
});
