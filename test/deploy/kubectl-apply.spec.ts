/**
 * Every Kubernetes manifest under deploy/ is applied to the embedded API by the real kubectl
 * (as a user of a real cluster would), then read back. kubectl runs as a child process, so the
 * in-process API server must keep serving: only async exec here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { startKubeSim, type KubeSim } from '@switchyard/kube-sim';

const run = promisify(execFile);
const ROOT = join(__dirname, '../..');
const EXAMPLES = join(ROOT, 'deploy/examples');

/** Minimal stand-ins for the Prometheus Operator's CRDs, which a real cluster gets from its chart. */
const PROMETHEUS_OPERATOR_CRDS = ['servicemonitors:ServiceMonitor', 'prometheusrules:PrometheusRule']
  .map((s) => {
    const [plural, kind] = s.split(':');
    return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: ${plural}.monitoring.coreos.com }
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: { plural: ${plural}, singular: ${plural.slice(0, -1)}, kind: ${kind}, listKind: ${kind}List }
  versions:
    - name: v1
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
`;
  })
  .join('---\n');

let sim: KubeSim;
let dir: string;
let kubeconfig: string;

async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('kubectl', ['--kubeconfig', kubeconfig, ...args], {
      cwd: ROOT,
      timeout: 60_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number | string; message: string };
    if (e.code === 'ENOENT')
      throw new Error('kubectl is not installed (apt-get install -y kubernetes-client; .ci/run does this)');
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? e.message, code: typeof e.code === 'number' ? e.code : 1 };
  }
}

async function kubectlOk(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Kubernetes manifests among the examples (the topology document is Switchyard's own format). */
function exampleManifests(): string[] {
  return readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.yaml'))
    .filter((f) =>
      parseAllDocuments(readFileSync(join(EXAMPLES, f), 'utf8')).some(
        (d) => (d.toJSON() as { kind?: string })?.kind !== 'Topology',
      ),
    )
    .map((f) => join('deploy/examples', f));
}

beforeAll(async () => {
  sim = await startKubeSim({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'switchyard-deploy-'));
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, sim.kubeconfig());
  writeFileSync(join(dir, 'prometheus-operator-crds.yaml'), PROMETHEUS_OPERATOR_CRDS);
  await kubectlOk('apply', '-f', join(dir, 'prometheus-operator-crds.yaml'));
});

afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('deploy/ applied with the real kubectl', () => {
  it('applies the kustomize base and every object exists afterwards', async () => {
    const out = await kubectlOk('apply', '-k', 'deploy/base');
    expect(out).toMatch(
      /customresourcedefinition.apiextensions.k8s.io\/modeldeployments.switchyard.io (created|configured|unchanged)/,
    );
    const expected = [
      ['namespace', 'switchyard-system', ''],
      ['customresourcedefinition', 'modeldeployments.switchyard.io', ''],
      ['clusterrole', 'switchyard-scheduler', ''],
      ['clusterrolebinding', 'switchyard-scheduler', ''],
      ['serviceaccount', 'switchyard', 'switchyard-system'],
      ['role', 'switchyard-leader-election', 'switchyard-system'],
      ['rolebinding', 'switchyard-leader-election', 'switchyard-system'],
      ['deployment', 'switchyard', 'switchyard-system'],
      ['service', 'switchyard', 'switchyard-system'],
      ['servicemonitor', 'switchyard', 'switchyard-system'],
      ['prometheusrule', 'switchyard', 'switchyard-system'],
    ];
    for (const [kind, name, ns] of expected) {
      const got = await kubectlOk('get', kind, name, ...(ns ? ['-n', ns] : []), '-o', 'jsonpath={.metadata.name}');
      expect(`${kind}/${got}`).toBe(`${kind}/${name}`);
    }
    const deployment = JSON.parse(
      await kubectlOk('get', 'deployment', 'switchyard', '-n', 'switchyard-system', '-o', 'json'),
    );
    expect(deployment.spec.replicas).toBe(2);
    // Applying again changes nothing: the manifests are stable under the server's defaulting.
    expect(await kubectlOk('apply', '-k', 'deploy/base')).not.toMatch(/ configured$/m);
  });

  it('applies the observability overlay: the base plus the dashboards as ConfigMaps for the Grafana sidecar', async () => {
    await kubectlOk('apply', '-k', 'deploy/overlays/observability');
    const list = JSON.parse(
      await kubectlOk('get', 'configmaps', '-n', 'switchyard-system', '-l', 'grafana_dashboard=1', '-o', 'json'),
    ) as { items: Array<{ metadata: { name: string }; data: Record<string, string> }> };
    expect(list.items.map((c) => c.metadata.name).sort()).toEqual([
      'switchyard-dashboard-fleet',
      'switchyard-dashboard-power',
    ]);
    for (const configMap of list.items) {
      for (const json of Object.values(configMap.data)) expect(JSON.parse(json)).toHaveProperty('uid');
    }
    expect(await kubectlOk('get', 'deployment', 'switchyard', '-n', 'switchyard-system', '-o', 'name')).toMatch(
      /switchyard/,
    );
  });

  it('applies every example ModelDeployment and kubectl get md shows the printer columns', async () => {
    const files = exampleManifests();
    expect(files.map((f) => f.split('/').pop()).sort()).toEqual([
      'modeldeployment-fractional.yaml',
      'modeldeployment-gang.yaml',
      'modeldeployment.yaml',
    ]);
    for (const f of files) await kubectlOk('apply', '-f', f);
    const table = await kubectlOk('get', 'md', '-n', 'default');
    expect(table.split('\n')[0].split(/\s+/).filter(Boolean)).toEqual([
      'NAME',
      'MODEL',
      'REPLICAS',
      'PLACED',
      'POWER-KW',
      'AGE',
    ]);
    expect(table).toMatch(/qwen-vl-32b\s+qwen2\.5-vl-32b-instruct\s+2/);
    expect(table).toMatch(/siglip-embeddings\s+siglip-so400m\s+4/);
    expect(table).toMatch(/llama-vision-90b\s+llama-3\.2-90b-vision-instruct\s+1/);
    await kubectlOk('scale', 'md', 'qwen-vl-32b', '--replicas=3');
    expect(await kubectlOk('get', 'md', 'qwen-vl-32b', '-o', 'jsonpath={.spec.replicas}')).toBe('3');
  });

  it('rejects an invalid ModelDeployment with the schema message naming the fields', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'apiVersion: switchyard.io/v1alpha1\nkind: ModelDeployment\nmetadata: {name: nine-gpus}\nspec: {model: m, gpu: {count: 9}, priority: urgent}\n',
    );
    const r = await kubectl('apply', '-f', bad);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ModelDeployment "nine-gpus" is invalid/);
    expect(r.stderr).toMatch(/spec\.gpu\.count.*(less than or equal to 8|must be at most 8)/);
    expect(r.stderr).toMatch(/spec\.priority/);
    expect((await kubectl('get', 'md', 'nine-gpus')).code).not.toBe(0);
  });
});
