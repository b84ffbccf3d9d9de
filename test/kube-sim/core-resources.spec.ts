import * as k8s from '@kubernetes/client-node';
import { eventually, failure, pod, startSimWithClients, type SimWithClients } from './sim-clients';

describe('kube-sim core resources through @kubernetes/client-node', () => {
  let env: SimWithClients;
  beforeAll(async () => {
    env = await startSimWithClients();
    env.sim.nodes.add('gpu-1', { gpus: 8 });
    env.sim.nodes.add('gpu-2', { gpus: 8 });
  });
  afterAll(() => env.sim.close());

  it('serves the pre-created namespaces and rejects a request without the token', async () => {
    const namespaces = await env.core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(expect.arrayContaining(['default', 'kube-system']));
    const anonymous = new k8s.KubeConfig();
    anonymous.loadFromString(env.sim.kubeconfig().replace(env.sim.token, 'wrong-token'));
    const denied = await failure(anonymous.makeApiClient(k8s.CoreV1Api).listNamespace());
    expect(denied.code).toBe(401);
  });

  it('creates a pod with defaults, refuses a duplicate, and 404s an unknown one with a Status', async () => {
    const created = await env.core.createNamespacedPod({ namespace: 'default', body: pod('create-1') });
    expect(created.status?.phase).toBe('Pending');
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    const again = await failure(env.core.createNamespacedPod({ namespace: 'default', body: pod('create-1') }));
    expect(again.code).toBe(409);
    expect(again.body).toMatchObject({
      kind: 'Status',
      reason: 'AlreadyExists',
      code: 409,
      details: { name: 'create-1', kind: 'pods' },
    });
    const missing = await failure(env.core.readNamespacedPod({ namespace: 'default', name: 'nope' }));
    expect(missing.body).toMatchObject({ reason: 'NotFound', message: 'pods "nope" not found', code: 404 });
    const noNamespace = await failure(env.core.createNamespacedPod({ namespace: 'ghost', body: pod('x') }));
    expect(noNamespace.body.message).toBe('namespaces "ghost" not found');
  });

  it('rejects an invalid pod with a 422 naming the field', async () => {
    const bad = await failure(
      env.core.createNamespacedPod({
        namespace: 'default',
        body: { metadata: { name: 'Bad_Name' }, spec: { containers: [{ name: 'c' } as k8s.V1Container] } },
      }),
    );
    expect(bad.code).toBe(422);
    expect(bad.body.reason).toBe('Invalid');
    expect(bad.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['metadata.name']);
    const noImage = await failure(
      env.core.createNamespacedPod({
        namespace: 'default',
        body: { metadata: { name: 'no-image' }, spec: { containers: [{ name: 'c' } as k8s.V1Container] } },
      }),
    );
    expect(noImage.body.message).toBe('Pod "no-image" is invalid: spec.containers[0].image: Required value');
  });

  it('binds a pod once (409 on a second binding), copies binding annotations, and the kubelet runs it', async () => {
    await env.core.createNamespacedPod({ namespace: 'default', body: pod('bind-1') });
    await env.core.createNamespacedPodBinding({
      namespace: 'default',
      name: 'bind-1',
      body: {
        metadata: { name: 'bind-1', annotations: { 'switchyard.io/gpus': '0,1' } },
        target: { apiVersion: 'v1', kind: 'Node', name: 'gpu-1' },
      },
    });
    const second = await failure(
      env.core.createNamespacedPodBinding({
        namespace: 'default',
        name: 'bind-1',
        body: { metadata: { name: 'bind-1' }, target: { kind: 'Node', name: 'gpu-2' } },
      }),
    );
    expect(second.code).toBe(409);
    expect(second.body.reason).toBe('Conflict');
    const running: k8s.V1Pod = await eventually(async () => {
      const p = await env.core.readNamespacedPod({ namespace: 'default', name: 'bind-1' });
      return p.status?.phase === 'Running' ? p : undefined;
    }, 'the kubelet to run the pod').then((p) => p!);
    expect(running.spec?.nodeName).toBe('gpu-1');
    expect(running.metadata?.annotations?.['switchyard.io/gpus']).toBe('0,1');
    expect(running.status?.podIP).toMatch(/^10\./);
    expect(running.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('leaves a pod bound to a NotReady node Pending until the node is Ready again', async () => {
    env.sim.nodes.add('flaky', { gpus: 8 });
    env.sim.nodes.setReady('flaky', false);
    await env.core.createNamespacedPod({ namespace: 'default', body: pod('on-flaky') });
    await env.core.createNamespacedPodBinding({
      namespace: 'default',
      name: 'on-flaky',
      body: { metadata: { name: 'on-flaky' }, target: { kind: 'Node', name: 'flaky' } },
    });
    const podsOnFlaky = () =>
      env.core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=flaky,status.phase=Running' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await podsOnFlaky()).items).toEqual([]);
    env.sim.nodes.setReady('flaky', true);
    await eventually(async () => (await podsOnFlaky()).items.length === 1, 'the pod to run once the node is Ready');
    env.sim.nodes.setReady('flaky', false);
    const pod1 = await env.core.readNamespacedPod({ namespace: 'default', name: 'on-flaky' });
    expect(pod1.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
  });

  it('writes status only through the status subresource', async () => {
    await env.core.createNamespacedPod({ namespace: 'default', body: pod('status-1') });
    const current = await env.core.readNamespacedPod({ namespace: 'default', name: 'status-1' });
    current.status = { ...current.status, phase: 'Failed', reason: 'Evicted' };
    const viaMain = await env.core.replaceNamespacedPod({ namespace: 'default', name: 'status-1', body: current });
    expect(viaMain.status?.phase).toBe('Pending');
    const fresh = await env.core.readNamespacedPod({ namespace: 'default', name: 'status-1' });
    fresh.status = { ...fresh.status, phase: 'Failed', reason: 'Evicted' };
    const viaStatus = await env.core.replaceNamespacedPodStatus({
      namespace: 'default',
      name: 'status-1',
      body: fresh,
    });
    expect(viaStatus.status?.phase).toBe('Failed');
  });

  it('answers 409 Conflict to an update with a stale resourceVersion', async () => {
    const cm = await env.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'occ' }, data: { a: '1' } },
    });
    const stale = structuredClone(cm);
    cm.data = { a: '2' };
    await env.core.replaceNamespacedConfigMap({ namespace: 'default', name: 'occ', body: cm });
    stale.data = { a: '3' };
    const conflict = await failure(
      env.core.replaceNamespacedConfigMap({ namespace: 'default', name: 'occ', body: stale }),
    );
    expect(conflict.code).toBe(409);
    expect(conflict.body.message).toBe(
      'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again',
    );
    const stalePatch = await failure(
      env.core.patchNamespacedConfigMap(
        {
          namespace: 'default',
          name: 'occ',
          body: { metadata: { resourceVersion: stale.metadata?.resourceVersion }, data: { a: '4' } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    expect(stalePatch.code).toBe(409);
  });

  it('applies JSON merge, JSON patch and strategic merge patches', async () => {
    await env.core.createNamespacedPod({
      namespace: 'default',
      body: pod('patch-1', {
        spec: {
          containers: [
            { name: 'a', image: 'img:1', env: [{ name: 'X', value: '1' }] },
            { name: 'b', image: 'img:1' },
          ],
        },
      }),
    });
    const merged = await env.core.patchNamespacedPod(
      { namespace: 'default', name: 'patch-1', body: { metadata: { labels: { tier: 'gold', app: null } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(merged.metadata?.labels).toEqual({ tier: 'gold' });
    const jsonPatched = await env.core.patchNamespacedPod(
      {
        namespace: 'default',
        name: 'patch-1',
        body: [
          { op: 'add', path: '/metadata/annotations', value: { note: 'x' } },
          { op: 'test', path: '/metadata/labels/tier', value: 'gold' },
        ],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect(jsonPatched.metadata?.annotations).toEqual({ note: 'x' });
    const failedTest = await failure(
      env.core.patchNamespacedPod(
        {
          namespace: 'default',
          name: 'patch-1',
          body: [{ op: 'test', path: '/metadata/labels/tier', value: 'silver' }],
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
      ),
    );
    expect(failedTest.code).toBe(422);
    const strategic = await env.core.patchNamespacedPod(
      {
        namespace: 'default',
        name: 'patch-1',
        body: {
          spec: {
            containers: [
              { name: 'b', image: 'img:2' },
              { name: 'a', env: [{ name: 'Y', value: '2' }] },
            ],
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    const containers = strategic.spec?.containers ?? [];
    expect(containers.map((c) => [c.name, c.image])).toEqual([
      ['a', 'img:1'],
      ['b', 'img:2'],
    ]);
    expect(containers[0].env).toEqual([
      { name: 'X', value: '1' },
      { name: 'Y', value: '2' },
    ]);
    const removed = await env.core.patchNamespacedPod(
      { namespace: 'default', name: 'patch-1', body: { spec: { containers: [{ name: 'b', $patch: 'delete' }] } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(removed.spec?.containers.map((c) => c.name)).toEqual(['a']);
  });

  it('filters lists by label and field selectors', async () => {
    for (const [name, labels, scheduler] of [
      ['sel-a', { tier: 'gold', zone: 'a' }, 'switchyard'],
      ['sel-b', { tier: 'silver', zone: 'b' }, 'switchyard'],
      ['sel-c', { tier: 'bronze' }, 'default-scheduler'],
    ] as const) {
      await env.core.createNamespacedPod({
        namespace: 'default',
        body: pod(name, {
          metadata: { name, labels: { sel: 'yes', ...labels } },
          spec: { schedulerName: scheduler, containers: [{ name: 'c', image: 'i:1' }] },
        }),
      });
    }
    const names = async (labelSelector?: string, fieldSelector?: string): Promise<string[]> =>
      (await env.core.listNamespacedPod({ namespace: 'default', labelSelector, fieldSelector })).items
        .map((p) => p.metadata!.name!)
        .filter((n) => n.startsWith('sel-'));
    expect(await names('tier=gold')).toEqual(['sel-a']);
    expect(await names('tier==gold')).toEqual(['sel-a']);
    expect(await names('sel=yes,tier!=gold')).toEqual(['sel-b', 'sel-c']);
    expect(await names('tier in (gold, silver)')).toEqual(['sel-a', 'sel-b']);
    expect(await names('sel,tier notin (gold)')).toEqual(['sel-b', 'sel-c']);
    expect(await names('sel,zone')).toEqual(['sel-a', 'sel-b']);
    expect(await names('sel,!zone')).toEqual(['sel-c']);
    expect(await names('sel', 'spec.schedulerName=switchyard')).toEqual(['sel-a', 'sel-b']);
    expect(await names('sel', 'metadata.name=sel-b')).toEqual(['sel-b']);
    expect(await names('sel', 'status.phase=Pending,spec.nodeName=')).toEqual(['sel-a', 'sel-b', 'sel-c']);
    const bad = await failure(env.core.listNamespacedPod({ namespace: 'default', labelSelector: 'tier in gold' }));
    expect(bad.code).toBe(400);
  });

  it('pages a list with limit and continue', async () => {
    for (let i = 0; i < 5; i++)
      await env.core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: `page-${i}`, labels: { paged: 'y' } } },
      });
    const first = await env.core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'paged', limit: 2 });
    expect(first.items.map((c) => c.metadata?.name)).toEqual(['page-0', 'page-1']);
    expect(first.metadata?.remainingItemCount).toBe(3);
    const second = await env.core.listNamespacedConfigMap({
      namespace: 'default',
      labelSelector: 'paged',
      limit: 2,
      _continue: first.metadata?._continue,
    });
    expect(second.items.map((c) => c.metadata?.name)).toEqual(['page-2', 'page-3']);
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    await env.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'page-later' } } });
    env.sim.compactHistory();
    const expired = await failure(
      env.core.listNamespacedConfigMap({
        namespace: 'default',
        labelSelector: 'paged',
        limit: 2,
        _continue: second.metadata?._continue,
      }),
    );
    expect(expired.code).toBe(410);
    expect(expired.body.reason).toBe('Expired');
  });

  it('evicts through policy/v1 Eviction, refusing with 429 what a PodDisruptionBudget protects', async () => {
    const policy = env.kc.makeApiClient(k8s.PolicyV1Api);
    await policy.createNamespacedPodDisruptionBudget({
      namespace: 'default',
      body: {
        metadata: { name: 'keep-one' },
        spec: { minAvailable: 1, selector: { matchLabels: { guarded: 'yes' } } },
      },
    });
    for (const name of ['guard-1', 'guard-2']) {
      await env.core.createNamespacedPod({
        namespace: 'default',
        body: pod(name, { metadata: { name, labels: { guarded: 'yes' } } }),
      });
      await env.core.createNamespacedPodBinding({
        namespace: 'default',
        name,
        body: { metadata: { name }, target: { kind: 'Node', name: 'gpu-2' } },
      });
    }
    await eventually(
      async () =>
        (
          await env.core.listNamespacedPod({
            namespace: 'default',
            labelSelector: 'guarded=yes',
            fieldSelector: 'status.phase=Running',
          })
        ).items.length === 2,
      'both guarded pods running',
    );
    const evict = (name: string) =>
      env.core.createNamespacedPodEviction({
        namespace: 'default',
        name,
        body: {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name, namespace: 'default' },
          deleteOptions: { gracePeriodSeconds: 0 },
        },
      });
    await evict('guard-1');
    await expect(env.core.readNamespacedPod({ namespace: 'default', name: 'guard-1' })).rejects.toMatchObject({
      code: 404,
    });
    const refused = await failure(evict('guard-2'));
    expect(refused.code).toBe(429);
    expect(refused.body.message).toBe("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(refused.body.details.causes[0].message).toContain('keep-one');
  });

  it('deletes a running pod gracefully: Terminating first, removed by the kubelet', async () => {
    await env.core.createNamespacedPod({ namespace: 'default', body: pod('graceful-1') });
    await env.core.createNamespacedPodBinding({
      namespace: 'default',
      name: 'graceful-1',
      body: { metadata: { name: 'graceful-1' }, target: { kind: 'Node', name: 'gpu-1' } },
    });
    await eventually(
      async () =>
        (await env.core.readNamespacedPod({ namespace: 'default', name: 'graceful-1' })).status?.phase === 'Running',
      'running',
    );
    const deleting = await env.core.deleteNamespacedPod({ namespace: 'default', name: 'graceful-1' });
    expect(deleting.metadata?.deletionTimestamp).toBeTruthy();
    expect(deleting.metadata?.deletionGracePeriodSeconds).toBe(30);
    await eventually(
      async () =>
        (await failure(env.core.readNamespacedPod({ namespace: 'default', name: 'graceful-1' }))).code === 404,
      'the kubelet to finish the deletion',
    );
  });

  it('keeps an object with finalizers until the last one is removed', async () => {
    await env.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'held', finalizers: ['example.io/hold', 'example.io/second'] } },
    });
    await env.core.deleteNamespacedConfigMap({ namespace: 'default', name: 'held' });
    const still = await env.core.readNamespacedConfigMap({ namespace: 'default', name: 'held' });
    expect(still.metadata?.deletionTimestamp).toBeTruthy();
    expect(still.metadata?.finalizers).toEqual(['example.io/hold', 'example.io/second']);
    await env.core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'held', body: [{ op: 'remove', path: '/metadata/finalizers/0' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect(
      (await env.core.readNamespacedConfigMap({ namespace: 'default', name: 'held' })).metadata?.finalizers,
    ).toEqual(['example.io/second']);
    await env.core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'held', body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect((await failure(env.core.readNamespacedConfigMap({ namespace: 'default', name: 'held' }))).code).toBe(404);
  });

  it('garbage-collects dependents of a deleted owner, keeping those with another live owner and orphaning on request', async () => {
    const owner = await env.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'owner' } },
    });
    const other = await env.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'other-owner' } },
    });
    const ref = (o: k8s.V1ConfigMap) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: o.metadata!.name!,
      uid: o.metadata!.uid!,
    });
    await env.core.createNamespacedPod({
      namespace: 'default',
      body: pod('dep-1', { metadata: { name: 'dep-1', ownerReferences: [ref(owner)] } }),
    });
    await env.core.createNamespacedPod({
      namespace: 'default',
      body: pod('dep-2', { metadata: { name: 'dep-2', ownerReferences: [ref(owner), ref(other)] } }),
    });
    await env.core.deleteNamespacedConfigMap({ namespace: 'default', name: 'owner' });
    await eventually(
      async () => (await failure(env.core.readNamespacedPod({ namespace: 'default', name: 'dep-1' }))).code === 404,
      'dep-1 collected',
    );
    const survivor = await env.core.readNamespacedPod({ namespace: 'default', name: 'dep-2' });
    expect(survivor.metadata?.ownerReferences?.map((r) => r.name)).toEqual(['other-owner']);
    await env.core.deleteNamespacedConfigMap({
      namespace: 'default',
      name: 'other-owner',
      propagationPolicy: 'Orphan',
    });
    const orphan = await env.core.readNamespacedPod({ namespace: 'default', name: 'dep-2' });
    expect(orphan.metadata?.ownerReferences).toBeUndefined();
  });

  it('deletes everything in a namespace with the namespace', async () => {
    await env.core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await env.core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'c1' } } });
    const ns = await env.core.deleteNamespace({ name: 'doomed' });
    expect((ns as k8s.V1Namespace).status?.phase).toBe('Terminating');
    await eventually(
      async () => (await failure(env.core.readNamespace({ name: 'doomed' }))).code === 404,
      'namespace gone',
    );
    expect((await env.core.listNamespacedConfigMap({ namespace: 'doomed' })).items).toEqual([]);
  });

  it('stores leases with optimistic concurrency for leader election', async () => {
    const coordination = env.kc.makeApiClient(k8s.CoordinationV1Api);
    const lease = await coordination.createNamespacedLease({
      namespace: 'kube-system',
      body: {
        metadata: { name: 'switchyard-leader' },
        spec: {
          holderIdentity: 'a',
          leaseDurationSeconds: 15,
          acquireTime: new k8s.V1MicroTime(),
          renewTime: new k8s.V1MicroTime(),
        },
      },
    });
    expect(lease.spec?.holderIdentity).toBe('a');
    const taken = { ...lease, spec: { ...lease.spec, holderIdentity: 'b' } };
    await coordination.replaceNamespacedLease({ namespace: 'kube-system', name: 'switchyard-leader', body: taken });
    const late = await failure(
      coordination.replaceNamespacedLease({
        namespace: 'kube-system',
        name: 'switchyard-leader',
        body: { ...lease, spec: { ...lease.spec, holderIdentity: 'c' } },
      }),
    );
    expect(late.code).toBe(409);
    expect(
      (await coordination.readNamespacedLease({ namespace: 'kube-system', name: 'switchyard-leader' })).spec
        ?.holderIdentity,
    ).toBe('b');
  });

  it('records core/v1 and events.k8s.io/v1 events, selectable by involved object', async () => {
    await env.core.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name: 'ev-1' },
        involvedObject: { kind: 'Pod', name: 'bind-1', namespace: 'default' },
        reason: 'FailedScheduling',
        message: '0/2 nodes fit',
        type: 'Warning',
      },
    });
    const listed = await env.core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: 'involvedObject.name=bind-1,reason=FailedScheduling',
    });
    expect(listed.items.map((e) => e.message)).toEqual(['0/2 nodes fit']);
    const events = env.kc.makeApiClient(k8s.EventsV1Api);
    const created = await events.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name: 'ev-2' },
        eventTime: new k8s.V1MicroTime(),
        reason: 'Scheduled',
        note: 'bound',
        type: 'Normal',
        action: 'Binding',
        reportingController: 'switchyard',
        reportingInstance: 'x',
      },
    });
    expect(created.note).toBe('bound');
    // One storage, two APIs: what events.k8s.io/v1 wrote, core/v1 (and so kubectl describe) reads.
    const asCore = await env.core.readNamespacedEvent({ namespace: 'default', name: 'ev-2' });
    expect(asCore).toMatchObject({
      apiVersion: 'v1',
      message: 'bound',
      reportingComponent: 'switchyard',
      reason: 'Scheduled',
    });
    const asV1 = await events.readNamespacedEvent({ namespace: 'default', name: 'ev-1' });
    expect(asV1).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      note: '0/2 nodes fit',
      regarding: { kind: 'Pod', name: 'bind-1' },
    });
  });
});
