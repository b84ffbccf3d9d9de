import { translatePod, type PodRequestResult } from './pod-request';
import { catalog, gpuPod } from './test/builders';

function ok(result: PodRequestResult) {
  if (!result.ok) throw new Error(`rejected: ${result.rejection.field}: ${result.rejection.message}`);
  return result.request;
}
function rejection(result: PodRequestResult) {
  if (result.ok) throw new Error('expected a rejection');
  return result.rejection;
}

describe('translatePod', () => {
  it('reads whole GPUs from limits, cpu and memory from requests', () => {
    const r = ok(translatePod(gpuPod('a', { gpus: '4', cpu: '500m', memory: '16Gi' }), catalog));
    expect(r).toMatchObject({
      key: 'ml/a',
      uid: 'uid-a',
      gpuCount: 4,
      gpuMilli: 1000,
      cpuMilli: 500,
      memoryMiB: 16384,
      allowedProducts: null,
      priority: 'standard',
      gang: null,
    });
    expect(r.wattsPerGpu).toBe(700); // the largest TDP of the products it may land on
  });

  it('reads a fraction from the gpu-milli annotation', () => {
    const r = ok(translatePod(gpuPod('f', { milli: '250' }), catalog));
    expect(r).toMatchObject({ gpuCount: 1, gpuMilli: 250 });
  });

  it('sums containers and takes the larger of that and any init container', () => {
    const pod = gpuPod('s', { gpus: 1, cpu: '1', memory: '1Gi' });
    const withMore = {
      ...pod,
      spec: {
        ...pod.spec,
        containers: [
          ...(pod.spec?.containers ?? []),
          { name: 'side', resources: { requests: { cpu: '250m', memory: '512Mi' } } },
        ],
        initContainers: [{ name: 'init', resources: { requests: { cpu: '2', memory: '256Mi' } } }],
      },
    };
    expect(ok(translatePod(withMore, catalog))).toMatchObject({ cpuMilli: 2000, memoryMiB: 1536 });
  });

  it('takes products from the annotation or the device plugin node selector, and priority, tenant and power from labels and annotations', () => {
    const r = ok(
      translatePod(
        gpuPod('p', {
          gpus: 2,
          labels: {
            'switchyard.io/priority': 'critical',
            'switchyard.io/tenant': 'vision',
            'switchyard.io/deployment': 'llava',
          },
          annotations: {
            'switchyard.io/gpu-products': 'NVIDIA-L40S, NVIDIA-H200',
            'switchyard.io/watts-per-gpu': '550',
            'switchyard.io/power-capping': 'true',
            'switchyard.io/min-power-limit-watts': '400',
          },
        }),
        catalog,
      ),
    );
    expect(r).toMatchObject({
      allowedProducts: ['NVIDIA-H200', 'NVIDIA-L40S'],
      priority: 'critical',
      priorityValue: 1000,
      tenant: 'vision',
      wattsPerGpu: 550,
      capping: { limitWatts: 400, wattsPerGpu: 400 },
      deploymentKey: 'ml/llava',
      spread: true,
    });
    expect(
      ok(translatePod(gpuPod('q', { gpus: 1, nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-L40S' } }), catalog))
        .allowedProducts,
    ).toEqual(['NVIDIA-L40S']);
    expect(ok(translatePod(gpuPod('r', { gpus: 1, priorityClassName: 'batch' }), catalog)).priority).toBe('batch');
  });

  it('reads gang membership from the labels the controller sets', () => {
    const r = ok(
      translatePod(
        gpuPod('g', {
          gpus: 8,
          labels: {
            'switchyard.io/gang': 'llava-abc-0',
            'switchyard.io/gang-size': '2',
            'switchyard.io/gang-member': '1',
          },
          annotations: { 'switchyard.io/gang-scope': 'rack' },
        }),
        catalog,
      ),
    );
    expect(r.gang).toEqual({ id: 'llava-abc-0', size: 2, member: 1, scope: 'rack' });
  });

  it('a CPU-only pod asks for no GPU and no GPU power', () => {
    expect(ok(translatePod(gpuPod('c', {}), catalog))).toMatchObject({ gpuCount: 0, gpuMilli: 0, wattsPerGpu: 0 });
  });

  it.each([
    ['9 GPUs', gpuPod('x', { gpus: 9 }), 'resources["nvidia.com/gpu"]', /9 GPUs requested but no node has more than 8/],
    ['a fraction of a GPU as a resource', gpuPod('x', { gpus: '0.5' }), 'nvidia.com/gpu', /whole numbers/],
    [
      'an unknown product',
      gpuPod('x', { gpus: 1, annotations: { 'switchyard.io/gpu-products': 'NVIDIA-Z9000' } }),
      'gpu-products',
      /unknown GPU product "NVIDIA-Z9000"/,
    ],
    [
      'an unknown product in the node selector',
      gpuPod('x', { gpus: 1, nodeSelector: { 'nvidia.com/gpu.product': 'TPU' } }),
      'nodeSelector',
      /unknown GPU product "TPU"/,
    ],
    ['a malformed milli annotation', gpuPod('x', { milli: '0.5' }), 'gpu-milli', /not an integer/],
    ['a milli annotation out of range', gpuPod('x', { milli: '1500' }), 'gpu-milli', /not between 1 and 1000/],
    ['a fraction with many GPUs', gpuPod('x', { gpus: 2, milli: '500' }), 'gpu-milli', /cannot be combined/],
    ['a malformed cpu quantity', gpuPod('x', { gpus: 1, cpu: 'lots' }), 'resources["cpu"]', /invalid quantity "lots"/],
    [
      'an unknown priority',
      gpuPod('x', { gpus: 1, labels: { 'switchyard.io/priority': 'urgent' } }),
      'switchyard.io/priority',
      /unknown priority "urgent"/,
    ],
    [
      'a bad gang size',
      gpuPod('x', { gpus: 1, labels: { 'switchyard.io/gang': 'g', 'switchyard.io/gang-size': 'two' } }),
      'gang-size',
      /not a positive integer/,
    ],
    [
      'too much GPU memory',
      gpuPod('x', { gpus: 1, annotations: { 'switchyard.io/gpu-memory-mib': '200000' } }),
      'gpu-memory-mib',
      /no allowed GPU product has 200000 MiB/,
    ],
    [
      'NaN watts',
      gpuPod('x', { gpus: 1, annotations: { 'switchyard.io/watts-per-gpu': 'NaN' } }),
      'watts-per-gpu',
      /not a number/,
    ],
  ])('rejects %s with a reason naming the field', (_label, pod, field, message) => {
    const r = rejection(translatePod(pod, catalog));
    expect(r.field).toContain(field);
    expect(r.message).toMatch(message);
  });

  it('a pod with no containers is rejected, not a crash', () => {
    expect(
      rejection(
        translatePod(
          { metadata: { name: 'e', namespace: 'ml' }, spec: { schedulerName: 'switchyard', containers: [] } },
          catalog,
        ),
      ).field,
    ).toBe('spec.containers');
    expect(rejection(translatePod({}, catalog)).field).toBe('spec.containers');
  });
});
