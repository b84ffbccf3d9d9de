import { nodeGpuList, rackLocations, type TopologyDocument } from '@switchyard/contracts';
import type { KubeObject } from './resource-type';
import { timestamp } from './object-api';

export const KUBELET_VERSION = 'v1.30.0';

/** The Node IP of the i-th simulated node (10.64.0.0/10 holds a 15,000-node campus). */
export function nodeAddress(i: number): string {
  return `10.${64 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`;
}

function quantityFromMilli(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/**
 * Node objects for every node of a topology, labelled as the NVIDIA device plugin and GPU feature discovery label
 * real GPU nodes (`nvidia.com/gpu.*`, allocatable `nvidia.com/gpu`), plus the Switchyard topology labels.
 */
export function nodesFromTopology(document: TopologyDocument, now: number): KubeObject[] {
  const locations = rackLocations(document);
  const products = new Map(document.gpuProducts.map((p) => [p.name, p]));
  return document.nodes.map((node, i) => {
    const where = locations.get(node.rack);
    const gpus = nodeGpuList(node);
    const product = gpus.length > 0 ? products.get(gpus[0].product) : undefined;
    const labels: Record<string, string> = {
      'kubernetes.io/hostname': node.name,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'switchyard.io/site': document.site.name,
      'switchyard.io/rack': node.rack,
      ...(node.labels ?? {}),
    };
    if (where) {
      labels['switchyard.io/hall'] = where.hall.name;
      labels['switchyard.io/row'] = where.row.name;
      labels['topology.kubernetes.io/zone'] = where.hall.name;
    }
    if (gpus.length > 0) {
      labels['nvidia.com/gpu.present'] = 'true';
      labels['nvidia.com/gpu.product'] = gpus[0].product;
      labels['nvidia.com/gpu.count'] = String(gpus.length);
      if (product) labels['nvidia.com/gpu.memory'] = String(product.memoryMiB);
    }
    const resources: Record<string, string> = {
      cpu: quantityFromMilli(node.cpuMilli),
      memory: `${node.memoryMiB}Mi`,
      pods: '110',
      'ephemeral-storage': '1Ti',
    };
    if (gpus.length > 0) resources['nvidia.com/gpu'] = String(gpus.length);
    return simulatedNode(node.name, i, labels, resources, now, {
      'switchyard.io/gpu-uuids': gpus.map((g) => g.uuid).join(','),
    });
  });
}

export function simulatedNode(
  name: string,
  index: number,
  labels: Record<string, string>,
  resources: Record<string, string>,
  now: number,
  annotations: Record<string, string> = {},
): KubeObject {
  const at = timestamp(now);
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: at,
    lastTransitionTime: at,
    reason,
    message,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0', ...annotations } },
    spec: { podCIDR: `10.${128 + ((index >> 8) & 127)}.${index & 255}.0/24`, providerID: `switchyard-sim://${name}` },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: nodeAddress(index) },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: '6.1.0-switchyard-sim',
        osImage: 'Switchyard simulated node',
        containerRuntimeVersion: 'containerd://1.7.0',
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}
