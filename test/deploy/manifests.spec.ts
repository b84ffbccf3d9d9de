/** What the base promises without a cluster: least-privilege RBAC and a hardened Deployment. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const BASE = join(__dirname, '../../deploy/base');
type Doc = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
const docs = (file: string): Doc[] =>
  parseAllDocuments(readFileSync(join(BASE, file), 'utf8')).map((d) => d.toJSON() as Doc);

describe('deploy/base', () => {
  it('grants exactly the verbs and resources Switchyard uses', () => {
    const rbac = docs('rbac.yaml');
    const rules = (kind: string) =>
      rbac
        .find((d) => d.kind === kind)!
        .rules.flatMap((r: { apiGroups: string[]; resources: string[]; verbs: string[] }) =>
          r.apiGroups.flatMap((g) =>
            r.resources.map((res) => `${g || 'core'}/${res}: ${[...r.verbs].sort().join(',')}`),
          ),
        )
        .sort();
    expect(rules('ClusterRole')).toEqual([
      'core/events: create,patch',
      'core/nodes: get,list,watch',
      'core/pods/binding: create',
      'core/pods/eviction: create',
      'core/pods: create,delete,get,list,patch,watch',
      'switchyard.io/modeldeployments/finalizers: update',
      'switchyard.io/modeldeployments/status: patch,update',
      'switchyard.io/modeldeployments: get,list,patch,update,watch',
    ]);
    expect(rules('Role')).toEqual(['coordination.k8s.io/leases: create,get,list,update,watch']);
    expect(rbac.find((d) => d.kind === 'Role')!.metadata.namespace).toBe('switchyard-system');
    expect(JSON.stringify(rbac)).not.toMatch(/"\*"/);
  });

  it('runs two hardened replicas with probes, limits and the database URL from a Secret', () => {
    const [d] = docs('deployment.yaml');
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    const [c] = pod.containers;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.resources.requests).toEqual(
      expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
    );
    expect(c.resources.limits).toEqual(expect.objectContaining({ memory: expect.any(String) }));
    expect(c.env.find((e: { name: string }) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef).toEqual({
      name: 'switchyard-database',
      key: 'url',
    });
    expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } });
  });

  it('lists every file of the base in its kustomization', () => {
    const [k] = docs('kustomization.yaml');
    expect([...k.resources].sort()).toEqual(
      [
        'crd-modeldeployments.yaml',
        'deployment.yaml',
        'namespace.yaml',
        'node-agent-daemonset.yaml',
        'prometheusrule.yaml',
        'rbac.yaml',
        'service.yaml',
        'servicemonitor.yaml',
      ].sort(),
    );
  });
});
