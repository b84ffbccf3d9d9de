/* eslint-disable @typescript-eslint/no-explicit-any -- these tests read loosely typed Kubernetes JSON */
import * as k8s from '@kubernetes/client-node';
import { failure, rawRequest, startSimWithClients, type SimWithClients } from './sim-clients';
import { widget, widgetCrd } from './widget-crd';

const TABLE =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('kube-sim CustomResourceDefinitions through @kubernetes/client-node', () => {
  let env: SimWithClients;
  let custom: k8s.CustomObjectsApi;
  const at = { group: 'example.io', version: 'v1alpha1', namespace: 'default', plural: 'widgets' };
  const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

  beforeAll(async () => {
    env = await startSimWithClients();
    custom = env.kc.makeApiClient(k8s.CustomObjectsApi);
    // Raw JSON: client-node's typed V1JSONSchemaProps would silently drop `enum` and the x-kubernetes-* keys of a plain object.
    const crd = await rawRequest(env.sim, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: widgetCrd(['v1alpha1', 'v1beta1']),
    });
    expect(crd.status).toBe(201);
    const established = await env.kc
      .makeApiClient(k8s.ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: 'widgets.example.io' });
    expect(established.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
  });
  afterAll(() => env.sim.close());

  it('serves the new resource, its status and scale subresources in discovery', async () => {
    const res = await rawRequest(env.sim, 'GET', '/apis/example.io/v1alpha1');
    expect(res.body.resources.map((r: { name: string }) => r.name)).toEqual([
      'widgets',
      'widgets/status',
      'widgets/scale',
    ]);
    expect(res.body.resources[0]).toMatchObject({ kind: 'Widget', namespaced: true, shortNames: ['wd'] });
    const groups = await rawRequest(env.sim, 'GET', '/apis');
    const group = groups.body.groups.find((g: { name: string }) => g.name === 'example.io');
    expect(group.preferredVersion.version).toBe('v1beta1');
  });

  it('applies schema defaults, prunes unknown fields, and drops status on create', async () => {
    const created = (await custom.createNamespacedCustomObject({
      ...at,
      body: {
        ...widget('defaults', { model: 'llava-34b', bogus: true, template: { anything: { goes: 1 } } }),
        status: { replicas: 9 },
      },
    })) as any;
    expect(created.spec).toEqual({ model: 'llava-34b', replicas: 1, template: { anything: { goes: 1 } } });
    expect(created.status).toBeUndefined();
    expect(created.metadata.generation).toBe(1);
    const asBeta = (await custom.getNamespacedCustomObject({ ...at, version: 'v1beta1', name: 'defaults' })) as any;
    expect(asBeta.apiVersion).toBe('example.io/v1beta1');
  });

  it('rejects an invalid object with 422 and a cause per field, in the apiserver wording', async () => {
    const rejected = await failure(
      custom.createNamespacedCustomObject({
        ...at,
        body: widget('bad', { replicas: -1, priority: 'urgent', gpuMilli: true, products: ['AMD-MI300'] }),
      }),
    );
    expect(rejected.code).toBe(422);
    expect(rejected.body.reason).toBe('Invalid');
    expect(rejected.body.details).toMatchObject({ name: 'bad', group: 'example.io', kind: 'Widget' });
    const causes = rejected.body.details.causes as { field: string; message: string }[];
    expect(causes.map((c) => c.field).sort()).toEqual([
      'spec.gpuMilli',
      'spec.model',
      'spec.priority',
      'spec.products[0]',
      'spec.replicas',
    ]);
    expect(rejected.body.message).toContain('Widget.example.io "bad" is invalid: [');
    expect(rejected.body.message).toContain(
      'spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0',
    );
    expect(rejected.body.message).toContain(
      'spec.priority: Unsupported value: "urgent": supported values: "critical", "high", "standard", "batch", "best-effort"',
    );
    expect(rejected.body.message).toContain('spec.model: Required value');
    const updateRejected = await failure(
      custom.patchNamespacedCustomObject({ ...at, name: 'defaults', body: { spec: { replicas: 5000 } } }, merge),
    );
    expect(updateRejected.body.message).toContain('spec.replicas in body should be less than or equal to 1000');
  });

  it('counts generation on spec changes only, and writes status only through /status', async () => {
    await custom.createNamespacedCustomObject({ ...at, body: widget('gen', { model: 'm', replicas: 1 }) });
    const spec = (await custom.patchNamespacedCustomObject(
      { ...at, name: 'gen', body: { spec: { replicas: 2 } } },
      merge,
    )) as any;
    expect(spec.metadata.generation).toBe(2);
    const labels = (await custom.patchNamespacedCustomObject(
      { ...at, name: 'gen', body: { metadata: { labels: { a: 'b' } } } },
      merge,
    )) as any;
    expect(labels.metadata.generation).toBe(2);
    const ignored = (await custom.patchNamespacedCustomObject(
      { ...at, name: 'gen', body: { status: { replicas: 7 } } },
      merge,
    )) as any;
    expect(ignored.status).toBeUndefined();
    const status = (await custom.patchNamespacedCustomObjectStatus(
      {
        ...at,
        name: 'gen',
        body: { status: { observedGeneration: 2, replicas: 2, conditions: [{ type: 'Placed', status: 'True' }] } },
      },
      merge,
    )) as any;
    expect(status.status.replicas).toBe(2);
    expect(status.metadata.generation).toBe(2);
    expect(Number(status.metadata.resourceVersion)).toBeGreaterThan(Number(labels.metadata.resourceVersion));
    const badStatus = await failure(
      custom.patchNamespacedCustomObjectStatus({ ...at, name: 'gen', body: { status: { replicas: 'two' } } }, merge),
    );
    expect(badStatus.code).toBe(422);
  });

  it('answers 415 to a strategic merge patch of a custom resource, as the apiserver does', async () => {
    const refused = await failure(
      custom.patchNamespacedCustomObject(
        { ...at, name: 'gen', body: { spec: { replicas: 3 } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(refused.code).toBe(415);
    expect(refused.body.reason).toBe('UnsupportedMediaType');
  });

  it('maps the scale subresource onto spec.replicas and status.replicas', async () => {
    const scale = (await custom.getNamespacedCustomObjectScale({ ...at, name: 'gen' })) as any;
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 2 },
      status: { replicas: 2 },
    });
    const scaled = (await custom.patchNamespacedCustomObjectScale(
      { ...at, name: 'gen', body: { spec: { replicas: 4 } } },
      merge,
    )) as any;
    expect(scaled.spec.replicas).toBe(4);
    const after = (await custom.getNamespacedCustomObject({ ...at, name: 'gen' })) as any;
    expect(after.spec.replicas).toBe(4);
    expect(after.metadata.generation).toBe(3);
    const negative = await failure(
      custom.patchNamespacedCustomObjectScale({ ...at, name: 'gen', body: { spec: { replicas: -2 } } }, merge),
    );
    expect(negative.code).toBe(422);
  });

  it('renders additionalPrinterColumns in a Table for kubectl get', async () => {
    const res = await rawRequest(env.sim, 'GET', '/apis/example.io/v1alpha1/namespaces/default/widgets/gen', {
      headers: { Accept: TABLE },
    });
    expect(res.body.kind).toBe('Table');
    expect(res.body.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
      'Name',
      'Model',
      'Replicas',
      'Placed',
      'Age',
    ]);
    expect(res.body.rows[0].cells.slice(0, 4)).toEqual(['gen', 'm', 4, 'True']);
    expect(res.body.rows[0].cells[4]).toMatch(/^\d+s$/);
    expect(res.body.rows[0].object.kind).toBe('PartialObjectMetadata');
  });

  it('works through the generic KubernetesObjectApi', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(env.kc);
    const created = await objects.create<k8s.KubernetesObject & { spec?: unknown }>({
      ...widget('generic', { model: 'qwen-vl' }),
      metadata: { name: 'generic', namespace: 'default' },
    });
    expect((created as any).spec.replicas).toBe(1);
    const header = {
      apiVersion: 'example.io/v1alpha1',
      kind: 'Widget',
      metadata: { name: 'generic', namespace: 'default' },
    };
    const read = await objects.read(header);
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    const deployment = await objects.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'generic-deploy', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'g' } },
        template: { metadata: { labels: { app: 'g' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } },
      },
    } as k8s.V1Deployment);
    expect((deployment as k8s.V1Deployment).spec?.replicas).toBe(2);
    await objects.delete(read);
    await expect(objects.read(header)).rejects.toMatchObject({ code: 404 });
  });

  it('refuses an invalid CRD, and stops serving the resource (and its objects) when the CRD is deleted', async () => {
    const ext = env.kc.makeApiClient(k8s.ApiextensionsV1Api);
    const bad = widgetCrd();
    bad.metadata.name = 'wrong.example.io';
    const refused = await failure(ext.createCustomResourceDefinition({ body: bad as k8s.V1CustomResourceDefinition }));
    expect(refused.code).toBe(422);
    expect(refused.body.message).toContain(
      'metadata.name: Invalid value: "wrong.example.io": must be spec.names.plural+"."+spec.group',
    );
    await ext.deleteCustomResourceDefinition({ name: 'widgets.example.io' });
    expect((await rawRequest(env.sim, 'GET', '/apis/example.io/v1alpha1')).status).toBe(404);
    expect((await failure(custom.listNamespacedCustomObject({ ...at }))).code).toBe(404);
    await rawRequest(env.sim, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: widgetCrd() });
    const list = (await custom.listNamespacedCustomObject({ ...at })) as any;
    expect(list.items).toEqual([]);
  });
});
