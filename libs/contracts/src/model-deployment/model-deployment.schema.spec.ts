import {
  describeIssues,
  validateModelDeployment,
  validateModelDeploymentSpec,
  type ModelDeploymentSpecInput,
} from './index';

const minimal: ModelDeploymentSpecInput = { model: 'qwen2.5-vl-32b-instruct', gpu: { count: 2 } };

describe('ModelDeployment spec schema', () => {
  it('fills the documented defaults', () => {
    const r = validateModelDeploymentSpec(minimal);
    expect(r).toEqual({
      ok: true,
      value: {
        model: 'qwen2.5-vl-32b-instruct',
        gpu: { count: 2 },
        replicas: 1,
        podsPerReplica: 1,
        priority: 'standard',
        tenant: 'default',
        maxUnavailable: 1,
      },
    });
  });

  it('accepts a full spec with pod template overrides, power and topology', () => {
    const r = validateModelDeploymentSpec({
      ...minimal,
      image: 'vllm/vllm-openai:v0.8.5',
      replicas: 3,
      gpu: { count: 8, products: ['NVIDIA-H200', 'NVIDIA-H100-80GB-HBM3'], memoryMiB: 80000 },
      podsPerReplica: 2,
      priority: 'critical',
      tenant: 'vision-team',
      power: { wattsPerGpu: 600, cappingAllowed: true, minWattsPerGpu: 450 },
      topology: { gangScope: 'row', spread: 'hall' },
      maxUnavailable: '25%',
      template: {
        args: ['--tp', '8'],
        cpu: '15500m',
        memory: 200,
        env: [{ name: 'A', value: 'b' }],
        labels: { team: 'v' },
        tolerations: [{ key: 'gpu', operator: 'Exists' }],
      },
    });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.topology).toEqual({ gangScope: 'row', spread: 'hall' });
  });

  it.each([
    [{ ...minimal, gpu: { count: 9 } }, 'spec.gpu.count: GPUs per pod must be at most 8 (one node)'],
    [{ ...minimal, gpu: { count: 0 } }, 'spec.gpu.count: GPUs per pod must be at least 1'],
    [{ ...minimal, gpu: { count: 1.5 } }, 'spec.gpu.count: GPUs per pod must be a whole number'],
    [{ ...minimal, gpu: { milli: 1000 } }, 'spec.gpu.milli: milli-GPU must be at most 999 (use count for whole GPUs)'],
    [
      { ...minimal, gpu: { count: 1, milli: 500 } },
      'spec.gpu: exactly one of gpu.count (whole GPUs) and gpu.milli (a fraction of one GPU) must be set',
    ],
    [{ ...minimal, gpu: {} }, 'spec.gpu: exactly one of gpu.count'],
    [{ ...minimal, priority: 'urgent' }, 'spec.priority: '],
    [{ ...minimal, replicas: -1 }, 'spec.replicas: replicas must not be negative'],
    [{ ...minimal, model: 'bad model!' }, 'spec.model: model must be a Kubernetes label value'],
    [
      { ...minimal, gpu: { milli: 500 }, podsPerReplica: 2 },
      'spec.podsPerReplica: a gang (podsPerReplica > 1) needs whole GPUs',
    ],
    [
      { ...minimal, power: { minWattsPerGpu: 300 } },
      'spec.power.minWattsPerGpu: power.minWattsPerGpu needs power.cappingAllowed: true',
    ],
    [
      { ...minimal, power: { wattsPerGpu: 300, cappingAllowed: true, minWattsPerGpu: 400 } },
      'spec.power.minWattsPerGpu: power.minWattsPerGpu must not exceed power.wattsPerGpu',
    ],
    [{ ...minimal, power: { wattsPerGpu: 7000 } }, 'spec.power.wattsPerGpu: wattsPerGpu must be at most 2000 W'],
    [{ ...minimal, topology: { gangScope: 'site' } }, 'spec.topology.gangScope: '],
    [{ ...minimal, maxUnavailable: '150%' }, 'spec.maxUnavailable: '],
    [{ ...minimal, gpus: 2 }, 'spec: unknown field(s) "gpus"'],
    [{ ...minimal, template: { cpu: 'lots' } }, 'spec.template.cpu: '],
    [
      { ...minimal, gpu: { count: 1, products: ['NVIDIA H200'] } },
      'spec.gpu.products[0]: a GPU product must be a Kubernetes label value',
    ],
    [{ gpu: { count: 1 } }, 'spec.model: '],
  ])('rejects %j with a message naming the field', (spec, expected) => {
    const r = validateModelDeploymentSpec(spec);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(describeIssues(r.issues)).toContain(expected);
  });

  it('validates whole objects including apiVersion and kind', () => {
    const ok = validateModelDeployment({
      apiVersion: 'switchyard.io/v1alpha1',
      kind: 'ModelDeployment',
      metadata: { name: 'm' },
      spec: minimal,
    });
    expect(ok.ok).toBe(true);
    const bad = validateModelDeployment({
      apiVersion: 'switchyard.io/v1',
      kind: 'ModelDeployment',
      metadata: { name: 'm' },
      spec: minimal,
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues[0].path).toBe('apiVersion');
  });
});
