import type { NodeObject } from '@switchyard/kube';
import { agrees, readNode } from './node-inventory-sync';

function node(labels: Record<string, string>, allocatable: Record<string, string>, ready = true): NodeObject {
  return {
    metadata: { name: 'n1', labels, annotations: { 'switchyard.io/gpu-uuids': 'GPU-a, GPU-b' } },
    spec: {},
    status: { allocatable, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

const topo = {
  'switchyard.io/hall': 'hall-a',
  'switchyard.io/row': 'row-a01',
  'switchyard.io/rack': 'rack-a01-01',
  'nvidia.com/gpu.product': 'NVIDIA-H200',
  'nvidia.com/gpu.memory': '143771',
};

describe('readNode', () => {
  it('reads GPUs, product, memory, rack and resources from allocatable and labels', () => {
    expect(readNode(node(topo, { 'nvidia.com/gpu': '2', cpu: '1500m', memory: '2Gi' }, false))).toEqual({
      kind: 'shape',
      shape: {
        name: 'n1',
        hall: 'hall-a',
        row: 'row-a01',
        rack: 'rack-a01-01',
        cpuMilli: 1500,
        memoryMiB: 2048,
        gpuCount: 2,
        gpuProduct: 'NVIDIA-H200',
        gpuMemoryMiB: 143771,
        gpuUuids: ['GPU-a', 'GPU-b'],
        schedulable: true,
        health: 'unhealthy',
      },
    });
  });

  it('leaves nodes without a rack label alone and explains unusable labels', () => {
    expect(readNode(node({}, { 'nvidia.com/gpu': '8' }))).toEqual({ kind: 'unmanaged' });
    expect(readNode(node({ 'switchyard.io/rack': 'r' }, {}))).toMatchObject({
      kind: 'invalid',
      reason: 'TopologyLabelsMissing',
      message: expect.stringContaining('switchyard.io/hall or switchyard.io/row'),
    });
    expect(readNode(node(topo, { 'nvidia.com/gpu': '1.5' }))).toMatchObject({
      kind: 'invalid',
      reason: 'InvalidGpuCount',
    });
    expect(readNode(node(topo, { cpu: 'lots' }))).toMatchObject({ kind: 'invalid', reason: 'InvalidAllocatable' });
  });
});

describe('agrees', () => {
  const reading = readNode(node(topo, { 'nvidia.com/gpu': '2', cpu: '2', memory: '1Gi' }));
  const shape = reading.kind === 'shape' ? reading.shape : (undefined as never);
  const known = {
    name: 'n1',
    rackPath: 'site/hall-a/row-a01/rack-a01-01',
    cpuMilli: 2000,
    memoryMiB: 1024,
    gpuCount: 2,
    gpuProduct: 'NVIDIA-H200',
    uniformGpus: true,
    gpuMemoryMiB: { min: 143771, max: 143771 },
  };

  it('is true only when rack, resources, count, product and labelled memory all match', () => {
    expect(agrees(shape, known)).toBe(true);
    expect(agrees(shape, undefined)).toBe(false);
    expect(agrees(shape, { ...known, rackPath: 'site/hall-a/row-a01/rack-a01-02' })).toBe(false);
    expect(agrees({ ...shape, site: 'other' }, known)).toBe(false);
    expect(agrees(shape, { ...known, gpuCount: 4 })).toBe(false);
    expect(agrees(shape, { ...known, gpuProduct: 'NVIDIA-L40S' })).toBe(false);
    expect(agrees(shape, { ...known, uniformGpus: false })).toBe(false);
    expect(agrees(shape, { ...known, gpuMemoryMiB: { min: 80000, max: 143771 } })).toBe(false);
    expect(agrees({ ...shape, gpuMemoryMiB: undefined }, { ...known, gpuMemoryMiB: { min: 1, max: 2 } })).toBe(true);
  });
});
