/**
 * The ModelDeployment custom resource (`switchyard.io/v1alpha1`): what a serving team asks
 * for (spec) and what Switchyard reports back (status).
 *
 * These zod schemas are the one source of truth: the REST API validates input with them, and
 * `crd.ts` turns them into the CRD's `openAPIV3Schema`. Rules that span fields are written
 * twice on purpose, once as a zod refinement and once as the schema metadata the CRD carries
 * (`oneOf` / `x-kubernetes-validations`), side by side so they cannot drift apart unnoticed;
 * the contract tests check both agree.
 */
import { z } from 'zod';

export const MODEL_DEPLOYMENT_GROUP = 'switchyard.io';
export const MODEL_DEPLOYMENT_VERSION = 'v1alpha1';
export const MODEL_DEPLOYMENT_API_VERSION = `${MODEL_DEPLOYMENT_GROUP}/${MODEL_DEPLOYMENT_VERSION}`;
export const MODEL_DEPLOYMENT_KIND = 'ModelDeployment';
export const MODEL_DEPLOYMENT_PLURAL = 'modeldeployments';
export const MODEL_DEPLOYMENT_SINGULAR = 'modeldeployment';
export const MODEL_DEPLOYMENT_SHORT_NAMES = ['md'] as const;

export const PRIORITY_CLASSES = ['critical', 'high', 'standard', 'batch', 'best-effort'] as const;
export type PriorityClass = (typeof PRIORITY_CLASSES)[number];
export const TOPOLOGY_SCOPES = ['rack', 'row', 'hall'] as const;
export type TopologyScope = (typeof TOPOLOGY_SCOPES)[number];
export const SPREAD_SCOPES = ['none', ...TOPOLOGY_SCOPES] as const;
export const CONDITION_TYPES = ['Placed', 'PowerLimited', 'Unschedulable'] as const;
export type ModelDeploymentConditionType = (typeof CONDITION_TYPES)[number];

/** The placement engine packs at most one 8-GPU node per pod. */
export const MAX_GPUS_PER_POD = 8;
export const MAX_PODS_PER_REPLICA = 64;
export const MAX_REPLICAS = 10_000;
/** No GPU this scheduler knows draws more than this; a larger figure is a typo (kW for W). */
export const MAX_WATTS_PER_GPU = 2_000;

/** Kubernetes label values: model profiles, tenants and GPU products become label values. */
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** A Kubernetes quantity such as `500m`, `16Gi`, `2`. */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const PERCENT = /^(100|[1-9]?[0-9])%$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

const labelValue = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(63, `${what} must be at most 63 characters`)
    .regex(
      LABEL_VALUE,
      `${what} must be a Kubernetes label value (letters, digits, "-", "_", "." and start and end with a letter or digit)`,
    );

const stringMap = z.record(z.string(), z.string());

/** Integers or Kubernetes quantity strings; the CRD marks them `x-kubernetes-int-or-string`. */
const quantity = z.union([
  z.int().nonnegative('a quantity must not be negative'),
  z.string().regex(QUANTITY, 'must be a Kubernetes quantity such as "500m", "16Gi" or "4"'),
]);

const envVar = z.strictObject({
  name: z.string().min(1).max(256).regex(ENV_NAME, 'environment variable names are letters, digits, "-", "_" and "."'),
  value: z.string().max(32_768).default(''),
});

const toleration = z.strictObject({
  key: z.string().max(316).optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().max(63).optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
});

export const podTemplateOverridesSchema = z
  .strictObject({
    labels: stringMap.optional().describe('Labels added to every pod (Switchyard labels win on conflict).'),
    annotations: stringMap.optional().describe('Annotations added to every pod.'),
    command: z.array(z.string()).max(64).optional().describe('Container entrypoint, replacing the image default.'),
    args: z.array(z.string()).max(256).optional().describe('Container arguments.'),
    env: z.array(envVar).max(256).optional().describe('Environment variables of the serving container.'),
    cpu: quantity.optional().describe('CPU request per pod, e.g. "16" or "15500m".'),
    memory: quantity.optional().describe('Memory request per pod, e.g. "200Gi".'),
    nodeSelector: stringMap.optional().describe('Extra node labels a pod requires.'),
    tolerations: z.array(toleration).max(32).optional(),
    serviceAccountName: z.string().min(1).max(253).optional(),
  })
  .describe('Overrides applied to the pod template of every replica.');

export const gpuRequestSchema = z
  .strictObject({
    count: z
      .int('GPUs per pod must be a whole number')
      .min(1, 'GPUs per pod must be at least 1')
      .max(MAX_GPUS_PER_POD, `GPUs per pod must be at most ${MAX_GPUS_PER_POD} (one node)`)
      .optional()
      .describe('Whole GPUs per pod (1..8). Exactly one of count and milli is set.'),
    milli: z
      .int('milli-GPU must be a whole number')
      .min(1, 'milli-GPU must be at least 1')
      .max(999, 'milli-GPU must be at most 999 (use count for whole GPUs)')
      .optional()
      .describe('A fraction of one GPU per pod in thousandths (1..999). Exactly one of count and milli is set.'),
    products: z
      .array(labelValue('a GPU product'))
      .min(1, 'products must list at least one GPU product when given')
      .max(16)
      .optional()
      .describe(
        'Allowed GPU products as labelled by GPU feature discovery (nvidia.com/gpu.product), e.g. NVIDIA-H200.',
      ),
    memoryMiB: z
      .int('GPU memory must be a whole number of MiB')
      .min(1, 'GPU memory must be at least 1 MiB')
      .max(1_048_576, 'GPU memory must be at most 1 TiB')
      .optional()
      .describe('Minimum memory per GPU in MiB (nvidia.com/gpu.memory).'),
  })
  .refine((g) => (g.count === undefined) !== (g.milli === undefined), {
    message: 'exactly one of gpu.count (whole GPUs) and gpu.milli (a fraction of one GPU) must be set',
  })
  .meta({ oneOf: [{ required: ['count'] }, { required: ['milli'] }] })
  .describe('GPUs each pod needs.');

export const powerSchema = z
  .strictObject({
    wattsPerGpu: z
      .int('wattsPerGpu must be a whole number of watts')
      .min(1, 'wattsPerGpu must be at least 1 W')
      .max(MAX_WATTS_PER_GPU, `wattsPerGpu must be at most ${MAX_WATTS_PER_GPU} W`)
      .optional()
      .describe('Expected draw per GPU in watts; without it the model profile (configured, then learned) decides.'),
    cappingAllowed: z
      .boolean()
      .default(false)
      .describe('Whether Switchyard may run this model under a lower GPU power limit.'),
    minWattsPerGpu: z
      .int('minWattsPerGpu must be a whole number of watts')
      .min(1, 'minWattsPerGpu must be at least 1 W')
      .max(MAX_WATTS_PER_GPU, `minWattsPerGpu must be at most ${MAX_WATTS_PER_GPU} W`)
      .optional()
      .describe('The lowest GPU power limit this model still serves well at (only with cappingAllowed).'),
  })
  .refine((p) => p.minWattsPerGpu === undefined || p.cappingAllowed === true, {
    message: 'power.minWattsPerGpu needs power.cappingAllowed: true',
    path: ['minWattsPerGpu'],
  })
  .refine((p) => p.minWattsPerGpu === undefined || p.wattsPerGpu === undefined || p.minWattsPerGpu <= p.wattsPerGpu, {
    message: 'power.minWattsPerGpu must not exceed power.wattsPerGpu',
    path: ['minWattsPerGpu'],
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '!has(self.minWattsPerGpu) || self.cappingAllowed',
        message: 'power.minWattsPerGpu needs power.cappingAllowed: true',
      },
      {
        rule: '!has(self.minWattsPerGpu) || !has(self.wattsPerGpu) || self.minWattsPerGpu <= self.wattsPerGpu',
        message: 'power.minWattsPerGpu must not exceed power.wattsPerGpu',
      },
    ],
  })
  .describe('Power expectations and whether the GPUs may be power-capped.');

export const topologySchema = z
  .strictObject({
    gangScope: z
      .enum(TOPOLOGY_SCOPES)
      .default('rack')
      .describe('The scope every pod of one gang must share (rack, row or hall).'),
    spread: z
      .enum(SPREAD_SCOPES)
      .default('rack')
      .describe('Spread the replicas over this scope for availability (none to pack).'),
  })
  .describe('Where the pods of a replica and the replicas of a deployment may go.');

export const modelDeploymentSpecSchema = z
  .strictObject({
    model: labelValue('model').describe(
      'The model profile name (its power and resource profile), e.g. llava-next-34b.',
    ),
    image: z
      .string()
      .min(1, 'image must not be empty')
      .max(512)
      .optional()
      .describe('Container image of the server; defaults to the profile image.'),
    template: podTemplateOverridesSchema.optional(),
    replicas: z
      .int('replicas must be a whole number')
      .min(0, 'replicas must not be negative')
      .max(MAX_REPLICAS, `replicas must be at most ${MAX_REPLICAS}`)
      .default(1)
      .describe('Number of model replicas.'),
    gpu: gpuRequestSchema,
    podsPerReplica: z
      .int('podsPerReplica must be a whole number')
      .min(1, 'podsPerReplica must be at least 1')
      .max(MAX_PODS_PER_REPLICA, `podsPerReplica must be at most ${MAX_PODS_PER_REPLICA}`)
      .default(1)
      .describe('Pods per replica; more than one makes a gang across nodes, placed all or nothing.'),
    priority: z.enum(PRIORITY_CLASSES).default('standard').describe('Scheduling priority; higher may preempt lower.'),
    tenant: labelValue('tenant')
      .default('default')
      .describe('The tenant whose GPU and power quota this counts against.'),
    power: powerSchema.optional(),
    topology: topologySchema.optional(),
    maxUnavailable: z
      .union([
        z.int().min(0, 'maxUnavailable must not be negative'),
        z.string().regex(PERCENT, 'maxUnavailable must be a whole number or a percentage such as "25%"'),
      ])
      .default(1)
      .describe(
        'Replicas that may be unavailable at once during rollouts, rebalancing and preemption (a count or a percentage).',
      ),
  })
  .refine((s) => s.podsPerReplica === undefined || s.podsPerReplica === 1 || s.gpu.count !== undefined, {
    message: 'a gang (podsPerReplica > 1) needs whole GPUs (gpu.count), not gpu.milli',
    path: ['podsPerReplica'],
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '!has(self.podsPerReplica) || self.podsPerReplica == 1 || has(self.gpu.count)',
        message: 'a gang (podsPerReplica > 1) needs whole GPUs (gpu.count), not gpu.milli',
      },
    ],
  })
  .describe('What to deploy and under which constraints.');

const podPlacementSchema = z.strictObject({
  name: z.string().min(1),
  node: z.string().optional().describe('The node the pod is bound to.'),
  gpus: z.string().optional().describe('GPU indices and UUIDs as annotated on the pod (switchyard.io/gpus).'),
  powerLimitWatts: z.int().min(0).optional(),
});

export const REPLICA_PHASES = ['Pending', 'Placed', 'Ready', 'Unschedulable'] as const;

const replicaStatusSchema = z.strictObject({
  index: z.int().min(0),
  phase: z.enum(REPLICA_PHASES),
  pods: z.array(podPlacementSchema),
  message: z
    .string()
    .optional()
    .describe('Why the replica is not placed, or a problem with a node it runs on (NotReady, deleted).'),
});

export const modelDeploymentConditionSchema = z.strictObject({
  type: z.enum(CONDITION_TYPES),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().min(1).max(1024),
  message: z.string().max(32_768).default('').describe('For Unschedulable: the placement explanation.'),
  lastTransitionTime: z.iso.datetime({ offset: true }),
  observedGeneration: z.int().min(0).optional(),
});

export const modelDeploymentStatusSchema = z
  .strictObject({
    observedGeneration: z.int().min(0).optional(),
    replicas: z.int().min(0).default(0).describe('Replicas that exist (pods created).'),
    placed: z.int().min(0).default(0).describe('Replicas whose pods are all bound.'),
    ready: z.int().min(0).default(0).describe('Replicas whose pods are all ready.'),
    predictedWatts: z.number().min(0).default(0).describe('Predicted draw of the placed replicas in watts.'),
    predictedKilowatts: z.number().min(0).default(0).describe('The same in kW, for kubectl get.'),
    selector: z.string().optional().describe('Label selector of the pods, for the scale subresource.'),
    replicaStatuses: z.array(replicaStatusSchema).optional(),
    conditions: z.array(modelDeploymentConditionSchema).optional(),
  })
  .describe('What Switchyard observed and did; written through the status subresource only.');

const objectMetaSchema = z.looseObject({
  name: z.string().min(1).max(253).optional(),
  namespace: z.string().optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  generation: z.int().optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
});

export const modelDeploymentSchema = z.object({
  apiVersion: z.literal(MODEL_DEPLOYMENT_API_VERSION),
  kind: z.literal(MODEL_DEPLOYMENT_KIND),
  metadata: objectMetaSchema,
  spec: modelDeploymentSpecSchema,
  status: modelDeploymentStatusSchema.optional(),
});

export type ModelDeploymentSpec = z.output<typeof modelDeploymentSpecSchema>;
export type ModelDeploymentSpecInput = z.input<typeof modelDeploymentSpecSchema>;
export type ModelDeploymentStatus = z.output<typeof modelDeploymentStatusSchema>;
export type ModelDeploymentCondition = z.output<typeof modelDeploymentConditionSchema>;
export type ModelDeploymentReplicaStatus = z.output<typeof replicaStatusSchema>;
export type ModelDeployment = z.output<typeof modelDeploymentSchema>;
export type GpuRequest = z.output<typeof gpuRequestSchema>;
