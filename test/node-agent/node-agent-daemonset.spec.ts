/** The node agent's DaemonSet promises, without a cluster: GPU nodes only, least privilege, the node name from the downward API. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

type Doc = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
const docs = parseAllDocuments(
  readFileSync(join(__dirname, '../../deploy/base/node-agent-daemonset.yaml'), 'utf8'),
).map((d) => d.toJSON() as Doc);
const byKind = (kind: string) => docs.find((d) => d.kind === kind)!;

describe('deploy/base/node-agent-daemonset.yaml', () => {
  it('runs `switchyard node-agent` on GPU nodes, named by the downward API', () => {
    const pod = byKind('DaemonSet').spec.template.spec;
    const [c] = pod.containers;
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(pod.tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
    expect(pod.serviceAccountName).toBe('switchyard-node-agent');
    expect([...c.command, ...c.args]).toEqual(['node', 'bin/switchyard.js', 'node-agent', '--interval', '15']);
    expect(c.env.find((e: { name: string }) => e.name === 'NODE_NAME').valueFrom).toEqual({
      fieldRef: { fieldPath: 'spec.nodeName' },
    });
    // The toolkit mounts the GPUs' device nodes and nvidia-smi; the pod takes no GPU from the device plugin.
    expect(pod.runtimeClassName).toBe('nvidia');
    expect(c.resources.limits).not.toHaveProperty(['nvidia.com/gpu']);
  });

  it('is not privileged: root with CAP_SYS_ADMIN alone, which the driver asks to set a power limit', () => {
    const [c] = byKind('DaemonSet').spec.template.spec.containers;
    expect(c.securityContext).toEqual({
      runAsUser: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const pod = byKind('DaemonSet').spec.template.spec;
    for (const field of ['hostPID', 'hostNetwork', 'hostIPC', 'volumes']) expect(pod).not.toHaveProperty(field);
  });

  it('may only list, watch and annotate pods', () => {
    expect(byKind('ClusterRole').rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch', 'patch'] },
    ]);
    expect(byKind('ClusterRoleBinding').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'switchyard-node-agent', namespace: 'switchyard-system' },
    ]);
  });
});
