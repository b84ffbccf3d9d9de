/* eslint-disable @typescript-eslint/no-explicit-any -- these tests read loosely typed Kubernetes JSON */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { eventually, pod, startSimWithClients, type SimWithClients } from './sim-clients';
import { widget, widgetCrd } from './widget-crd';

/** The real kubectl: $KUBECTL, else the one on PATH (CI installs Debian's kubernetes-client). */
const kubectlBinary = process.env.KUBECTL ?? 'kubectl';
const kubectlVersion = spawnSync(kubectlBinary, ['version', '--client'], { encoding: 'utf8' });
const haveKubectl = kubectlVersion.status === 0;
if (!haveKubectl) {
  console.warn(
    `SKIPPING the kubectl tests of kube-sim: no kubectl found (${kubectlBinary}); install Debian's kubernetes-client or set KUBECTL`,
  );
}
const describeWithKubectl = haveKubectl ? describe : describe.skip;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describeWithKubectl(`kube-sim with the real kubectl (${kubectlVersion.stdout?.split('\n')[0] ?? 'absent'})`, () => {
  let env: SimWithClients;
  let dir: string;
  const kubectl = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        kubectlBinary,
        ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), '--request-timeout=20s', ...args],
        { encoding: 'utf8', timeout: 30_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });
  const ok = async (...args: string[]): Promise<string> => {
    const run = await kubectl(...args);
    if (run.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${run.code}): ${run.stderr}`);
    return run.stdout;
  };
  const manifest = (name: string, ...documents: unknown[]): string => {
    const path = join(dir, name);
    writeFileSync(path, documents.map((d) => stringify(d)).join('---\n'));
    return path;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-kubectl-'));
    env = await startSimWithClients({ kubeletDelayMs: 50 });
    env.sim.nodes.add('gpu-a', { gpus: 8, labels: { 'switchyard.io/rack': 'rack-1' } });
    env.sim.nodes.add('gpu-b', { gpus: 4, product: 'NVIDIA-L40S', memoryMiB: 46068 });
    await env.sim.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  afterAll(async () => {
    await env.sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the simulated GPU nodes with their labels (server-side printing over TLS with a token)', async () => {
    const out = await ok('get', 'nodes', '-L', 'nvidia.com/gpu.product,nvidia.com/gpu.count');
    expect(out).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+GPU\.PRODUCT\s+GPU\.COUNT/);
    expect(out).toMatch(/gpu-a\s+Ready\s+<none>\s+\S+\s+v1\.30\.0\s+NVIDIA-H200\s+8/);
    expect(out).toMatch(/gpu-b\s+Ready\s+<none>\s+\S+\s+v1\.30\.0\s+NVIDIA-L40S\s+4/);
    const allocatable = await ok('get', 'node', 'gpu-a', '-o', 'jsonpath={.status.allocatable.nvidia\\.com/gpu}');
    expect(allocatable).toBe('8');
    expect((await ok('auth', 'can-i', 'create', 'pods/binding')).trim()).toBe('yes');
  });

  it('applies a CRD and objects of it, prints its columns, reconfigures, and rejects an invalid one with the schema message', async () => {
    expect(await ok('apply', '-f', manifest('crd.yaml', widgetCrd()))).toContain(
      'customresourcedefinition.apiextensions.k8s.io/widgets.example.io created',
    );
    await ok('wait', '--for', 'condition=established', '--timeout=10s', 'crd/widgets.example.io');
    expect(await ok('apply', '-f', manifest('w1.yaml', widget('w1', { model: 'llava-34b', replicas: 2 })))).toContain(
      'widget.example.io/w1 created',
    );
    const table = await ok('get', 'widgets');
    expect(table).toMatch(/^NAME\s+MODEL\s+REPLICAS\s+PLACED\s+AGE\n/);
    expect(table).toMatch(/w1\s+llava-34b\s+2\s+(<none>)?\s+\d+s/);
    expect(await ok('apply', '-f', manifest('w1.yaml', widget('w1', { model: 'llava-34b', replicas: 3 })))).toContain(
      'widget.example.io/w1 configured',
    );
    expect(await ok('apply', '-f', manifest('w1.yaml', widget('w1', { model: 'llava-34b', replicas: 3 })))).toContain(
      'widget.example.io/w1 unchanged',
    );
    const applied = JSON.parse(await ok('get', 'wd', 'w1', '-o', 'json'));
    expect(applied.spec.replicas).toBe(3);
    expect(applied.metadata.generation).toBe(2);
    expect(JSON.parse(applied.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).spec).toEqual({
      model: 'llava-34b',
      replicas: 3,
    });
    const invalid = await kubectl(
      'apply',
      '-f',
      manifest('bad.yaml', widget('bad', { replicas: -1, priority: 'urgent' })),
    );
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain('The Widget "bad" is invalid');
    expect(invalid.stderr).toContain('spec.model: Required value');
    expect(invalid.stderr).toContain(
      'spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0',
    );
    expect(invalid.stderr).toContain('spec.priority: Unsupported value: "urgent"');
  });

  it('scales a custom resource and a Deployment through their scale subresources', async () => {
    expect(await ok('scale', 'widget', 'w1', '--replicas=5')).toContain('widget.example.io/w1 scaled');
    expect(await ok('get', 'wd', 'w1', '-o', 'jsonpath={.spec.replicas}')).toBe('5');
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'server' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'server' } },
        template: { metadata: { labels: { app: 'server' } }, spec: { containers: [{ name: 'c', image: 'img:1' }] } },
      },
    };
    await ok('apply', '-f', manifest('deploy.yaml', deployment));
    expect(await ok('scale', 'deployment/server', '--replicas=3')).toContain('deployment.apps/server scaled');
    expect(await ok('get', 'deploy', 'server', '-o', 'jsonpath={.spec.replicas} {.metadata.generation}')).toBe('3 2');
  });

  it('describes a custom resource and a pod with its events', async () => {
    const described = await ok('describe', 'widget', 'w1');
    expect(described).toMatch(/Name:\s+w1/);
    expect(described).toMatch(/Model:\s+llava-34b/);
    await env.core.createNamespacedPod({ namespace: 'default', body: pod('described') });
    await env.core.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name: 'described.1' },
        involvedObject: {
          kind: 'Pod',
          name: 'described',
          namespace: 'default',
          uid: (await env.core.readNamespacedPod({ namespace: 'default', name: 'described' })).metadata?.uid,
        },
        reason: 'FailedScheduling',
        message: '0/2 nodes fit: 2 not enough free GPUs',
        type: 'Warning',
        count: 1,
        firstTimestamp: new Date(),
        lastTimestamp: new Date(),
        source: { component: 'switchyard' },
      },
    });
    const pod1 = await ok('describe', 'pod', 'described');
    expect(pod1).toMatch(/Status:\s+Pending/);
    expect(pod1).toMatch(/Warning\s+FailedScheduling\s+.*0\/2 nodes fit: 2 not enough free GPUs/);
  });

  it('applies the kinds deploy/ uses, reapplies them unchanged, and deletes them', async () => {
    const docs = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'switchyard-system' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'switchyard', namespace: 'switchyard-system' } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'switchyard' },
        rules: [{ apiGroups: [''], resources: ['pods/binding'], verbs: ['create'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'switchyard' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'switchyard' },
        subjects: [{ kind: 'ServiceAccount', name: 'switchyard', namespace: 'switchyard-system' }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'leases', namespace: 'switchyard-system' },
        rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'] }],
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'switchyard', namespace: 'switchyard-system' },
        data: { LOG_LEVEL: 'info' },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'switchyard', namespace: 'switchyard-system' },
        spec: { selector: { app: 'switchyard' }, ports: [{ name: 'http', port: 8080 }] },
      },
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'switchyard', namespace: 'switchyard-system' },
        spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'switchyard' } } },
      },
      {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'switchyard-critical' },
        value: 1000000,
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'switchyard', namespace: 'switchyard-system' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'switchyard' } },
          template: {
            metadata: { labels: { app: 'switchyard' } },
            spec: {
              serviceAccountName: 'switchyard',
              securityContext: { runAsNonRoot: true },
              containers: [
                {
                  name: 'control-plane',
                  image: 'switchyard:0.1.0',
                  ports: [{ containerPort: 8080, name: 'http' }],
                  env: [{ name: 'LOG_LEVEL', value: 'info' }],
                  readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
                  securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
                },
              ],
            },
          },
        },
      },
    ];
    const path = manifest('base.yaml', ...docs);
    const created = await ok('apply', '-f', path);
    expect(created.trim().split('\n')).toHaveLength(docs.length);
    expect(created).toContain('deployment.apps/switchyard created');
    const again = await ok('apply', '-f', path);
    // A PDB's selector has patchStrategy "replace", so kubectl always sends it and says "configured", as with a real apiserver.
    const reapplied = again
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('poddisruptionbudget.policy/'));
    expect(reapplied.filter((line) => !line.endsWith(' unchanged'))).toEqual([]);
    docs[9] = {
      ...docs[9],
      spec: {
        ...(docs[9] as any).spec,
        template: {
          ...(docs[9] as any).spec.template,
          spec: {
            ...(docs[9] as any).spec.template.spec,
            containers: [
              { ...(docs[9] as any).spec.template.spec.containers[0], env: [{ name: 'LOG_LEVEL', value: 'debug' }] },
            ],
          },
        },
      },
    };
    expect(await ok('apply', '-f', manifest('base.yaml', ...docs))).toContain('deployment.apps/switchyard configured');
    expect(
      await ok(
        'get',
        'deploy',
        'switchyard',
        '-n',
        'switchyard-system',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].env[0].value} {.metadata.generation}',
      ),
    ).toBe('debug 2');
    const deleted = await ok('delete', '-f', path, '--ignore-not-found'); // the namespace may take its contents first
    expect(deleted).toContain('namespace "switchyard-system" deleted');
    await eventually(async () => (await kubectl('get', 'ns', 'switchyard-system')).code !== 0, 'the namespace to go');
  });

  const repo = join(__dirname, '..', '..');
  (existsSync(join(repo, 'deploy', 'base', 'kustomization.yaml')) ? it : it.skip)(
    'applies every manifest of deploy/ (kustomize base and examples)',
    async () => {
      await ok('apply', '-f', join(__dirname, 'fixtures', 'monitoring-crds.yaml'));
      const base = await ok('apply', '-k', join(repo, 'deploy', 'base'));
      expect(base).toMatch(
        /customresourcedefinition.apiextensions.k8s.io\/modeldeployments.switchyard.io (created|configured|unchanged)/,
      );
      expect(base).toMatch(/deployment.apps\/\S+ created/);
      const examples = readdirSync(join(repo, 'deploy', 'examples')).filter(
        (f) => f.startsWith('modeldeployment') && f.endsWith('.yaml'),
      );
      expect(examples.length).toBeGreaterThan(0);
      for (const file of examples)
        expect(await ok('apply', '-f', join(repo, 'deploy', 'examples', file))).toMatch(/ created/);
      const listed = await ok('get', 'md', '-A', '--no-headers');
      expect(listed.trim().split('\n').length).toBeGreaterThanOrEqual(examples.length);
      // The namespace is deleted first and takes its contents with it, as a real namespace controller does, so
      // the later deletes may find nothing: the usual clean-up flag.
      await ok('delete', '-k', join(repo, 'deploy', 'base'), '--wait=false', '--ignore-not-found');
    },
  );

  it('applies server-side and lists everything in the "all" category', async () => {
    const path = manifest('ssa.yaml', widget('ssa', { model: 'pixtral-12b', replicas: 1 }));
    expect(await ok('apply', '--server-side', '-f', path)).toContain('widget.example.io/ssa serverside-applied');
    await ok(
      'apply',
      '--server-side',
      '-f',
      manifest('ssa.yaml', widget('ssa', { model: 'pixtral-12b', replicas: 2 })),
    );
    expect(await ok('get', 'wd', 'ssa', '-o', 'jsonpath={.spec.replicas} {.metadata.generation}')).toBe('2 2');
    const all = await ok('get', 'all');
    expect(all).toMatch(/deployment\.apps\/server\s/);
  });

  it('streams changes with get -w', async () => {
    const child = spawn(
      kubectlBinary,
      [
        '--kubeconfig',
        join(dir, 'kubeconfig'),
        '--cache-dir',
        join(dir, 'cache'),
        'get',
        'pods',
        '-w',
        '-l',
        'watched=yes',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await env.core.createNamespacedPod({
        namespace: 'default',
        body: pod('watched-1', { metadata: { name: 'watched-1', labels: { watched: 'yes' } } }),
      });
      await eventually(() => /watched-1\s+0\/1\s+Pending/.test(out), 'kubectl to print the pending pod');
      await env.core.createNamespacedPodBinding({
        namespace: 'default',
        name: 'watched-1',
        body: { metadata: { name: 'watched-1' }, target: { kind: 'Node', name: 'gpu-a' } },
      });
      await eventually(() => /watched-1\s+1\/1\s+Running/.test(out), 'kubectl to print the running pod');
    } finally {
      child.kill();
    }
  });

  it('deletes a running pod and waits for the kubelet to finish it; cordons a node', async () => {
    await eventually(
      async () => (await ok('get', 'pod', 'watched-1', '-o', 'jsonpath={.status.phase}')) === 'Running',
      'running',
    );
    expect(await ok('delete', 'pod', 'watched-1')).toContain('pod "watched-1" deleted');
    expect((await kubectl('get', 'pod', 'watched-1')).stderr).toContain('pods "watched-1" not found');
    expect(await ok('cordon', 'gpu-b')).toContain('node/gpu-b cordoned');
    expect(await ok('get', 'node', 'gpu-b')).toMatch(/gpu-b\s+Ready,SchedulingDisabled/);
    await ok('uncordon', 'gpu-b');
  });

  it('patches with merge, JSON and strategic patches', async () => {
    await env.core.createNamespacedPod({ namespace: 'default', body: pod('patched') });
    await ok('patch', 'pod', 'patched', '--type=merge', '-p', '{"metadata":{"labels":{"a":"1"}}}');
    await ok('patch', 'pod', 'patched', '--type=json', '-p', '[{"op":"add","path":"/metadata/labels/b","value":"2"}]');
    await ok('patch', 'pod', 'patched', '-p', '{"metadata":{"labels":{"c":"3"}}}');
    expect(await ok('get', 'pod', 'patched', '--show-labels', '--no-headers')).toMatch(/a=1,app=demo,b=2,c=3/);
    await ok('label', 'pod', 'patched', 'a-');
    await ok('annotate', 'pod', 'patched', 'note=hi');
    expect(await ok('get', 'pod', 'patched', '-o', 'jsonpath={.metadata.labels.a}|{.metadata.annotations.note}')).toBe(
      '|hi',
    );
    const refused = await kubectl('patch', 'widget', 'w1', '-p', '{"spec":{"replicas":1}}');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/strategic merge patch|unknown format|UnsupportedMediaType|not supported/i);
  });
});
