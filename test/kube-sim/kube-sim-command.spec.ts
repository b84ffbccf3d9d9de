import * as k8s from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKubeSimCommand, type KubeSim } from '@switchyard/kube-sim';

const TOPOLOGY = `
apiVersion: switchyard.io/v1alpha1
kind: Topology
site: { name: lab, capacityWatts: 200000, oversubscriptionRatio: 1 }
gpuProducts:
  - { name: NVIDIA-H200, memoryMiB: 143771, tdpWatts: 700, minPowerLimitWatts: 200, maxPowerLimitWatts: 700 }
halls:
  - name: hall-a
    capacityWatts: 100000
    rows:
      - name: row-a01
        capacityWatts: 100000
        racks:
          - { name: rack-a01-01, capacityWatts: 40000 }
nodes:
  - { name: gpu-1, rack: rack-a01-01, cpuMilli: 224000, memoryMiB: 2097152, idleWatts: 2000, maxWatts: 10200, gpus: { product: NVIDIA-H200, count: 8 }, labels: { node.kubernetes.io/instance-type: hgx-h200-8 } }
  - { name: cpu-1, rack: rack-a01-01, cpuMilli: 64500, memoryMiB: 262144, idleWatts: 300, maxWatts: 800 }
`;

describe('runKubeSimCommand (switchyard sim)', () => {
  let dir: string;
  let sim: KubeSim | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-cmd-'));
  });
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the topology file as Node objects labelled like the NVIDIA device plugin and GPU feature discovery', async () => {
    writeFileSync(join(dir, 'topology.yaml'), TOPOLOGY);
    const lines: string[] = [];
    sim = await runKubeSimCommand({
      topologyFile: join(dir, 'topology.yaml'),
      kubeconfigPath: join(dir, 'kube', 'config'),
      log: (l) => lines.push(l),
    });
    expect(lines.join('\n')).toContain(`embedded Kubernetes API at ${sim.url} with 2 simulated GPU nodes`);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(readFileSync(join(dir, 'kube', 'config'), 'utf8'));
    const nodes = await kc.makeApiClient(k8s.CoreV1Api).listNode();
    const gpu = nodes.items.find((n) => n.metadata?.name === 'gpu-1')!;
    expect(gpu.metadata?.labels).toMatchObject({
      'nvidia.com/gpu.product': 'NVIDIA-H200',
      'nvidia.com/gpu.memory': '143771',
      'nvidia.com/gpu.count': '8',
      'switchyard.io/site': 'lab',
      'switchyard.io/hall': 'hall-a',
      'switchyard.io/row': 'row-a01',
      'switchyard.io/rack': 'rack-a01-01',
      'node.kubernetes.io/instance-type': 'hgx-h200-8',
      'kubernetes.io/hostname': 'gpu-1',
    });
    expect(gpu.status?.allocatable).toMatchObject({ 'nvidia.com/gpu': '8', cpu: '224', memory: '2097152Mi' });
    expect(gpu.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(gpu.metadata?.annotations?.['switchyard.io/gpu-uuids']?.split(',')).toHaveLength(8);
    const cpu = nodes.items.find((n) => n.metadata?.name === 'cpu-1')!;
    expect(cpu.status?.allocatable?.['nvidia.com/gpu']).toBeUndefined();
    expect(cpu.status?.allocatable?.cpu).toBe('64500m');
    expect(cpu.metadata?.labels?.['nvidia.com/gpu.product']).toBeUndefined();
  });

  it('uses the demo topology without a file, and marks nodes NotReady or cordoned on request', async () => {
    sim = await runKubeSimCommand({ kubeconfigPath: join(dir, 'kubeconfig'), log: () => undefined });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(join(dir, 'kubeconfig'));
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const nodes = await core.listNode({ labelSelector: 'nvidia.com/gpu.product=NVIDIA-H200' });
    expect(nodes.items.length).toBeGreaterThanOrEqual(200);
    const name = nodes.items[0].metadata!.name!;
    sim.nodes.setReady(name, false);
    const notReady = await core.readNode({ name });
    expect(notReady.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(notReady.spec?.taints).toEqual([
      expect.objectContaining({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }),
    ]);
    sim.nodes.setReady(name, true);
    sim.nodes.cordon(name);
    const cordoned = await core.readNode({ name });
    expect(cordoned.spec?.unschedulable).toBe(true);
    expect(cordoned.spec?.taints?.map((t) => t.key)).toEqual(['node.kubernetes.io/unschedulable']);
  });

  it('rejects an invalid topology file with the path of each problem', async () => {
    writeFileSync(join(dir, 'topology.yaml'), TOPOLOGY.replace('capacityWatts: 40000', 'capacityWatts: -1'));
    await expect(
      runKubeSimCommand({
        topologyFile: join(dir, 'topology.yaml'),
        kubeconfigPath: join(dir, 'kubeconfig'),
        log: () => undefined,
      }),
    ).rejects.toThrow(/capacityWatts/);
  });
});
