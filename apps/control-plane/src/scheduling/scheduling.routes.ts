import { z } from 'zod';
import {
  API_PREFIX,
  modelDeploymentSpecSchema,
  modelDeploymentStatusSchema,
  pageSchema,
  paginationQueryShape,
  uuidSchema,
} from '@switchyard/contracts';
import { defineRoute } from '../http/route-spec';

const tag = 'scheduling';
/** Kubernetes names: DNS-1123 subdomains, checked so a typo is a 400 that names the field. */
const kubeName = z
  .string()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Kubernetes name (lower case letters, digits, "-" and ".")');

const objectParams = z.strictObject({ namespace: kubeName, name: kubeName });

export const placementSchema = z.object({
  id: z.string(),
  pod: z.object({ namespace: z.string(), name: z.string(), uid: z.string() }),
  node: z.string(),
  gpus: z.array(z.object({ index: z.int(), uuid: z.string(), shareMilli: z.int() })),
  predictedWatts: z.number(),
  powerLimitWatts: z.number().nullable(),
  priority: z.string(),
  state: z.enum(['reserved', 'bound']),
  tenantId: z.string().nullable(),
  deploymentId: z.string().nullable(),
  createdAt: z.string(),
  boundAt: z.string().nullable(),
});

export const deploymentSummarySchema = z.object({
  namespace: z.string(),
  name: z.string(),
  uid: z.string().optional(),
  model: z.string(),
  priority: z.string(),
  tenant: z.string(),
  replicas: z.int(),
  placed: z.int(),
  ready: z.int(),
  predictedWatts: z.number(),
  conditions: z.array(z.object({ type: z.string(), status: z.string(), reason: z.string(), message: z.string() })),
});

export const deploymentDetailSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  uid: z.string().optional(),
  generation: z.int().optional(),
  spec: modelDeploymentSpecSchema,
  status: modelDeploymentStatusSchema.partial(),
  predictedWatts: z.number(),
  placements: z.array(placementSchema),
});

export const explanationSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  message: z
    .string()
    .describe('e.g. "0/256 nodes fit: 200 not enough free GPUs, 56 rack power (needs 5.6 kW, best headroom 4.1 kW)"'),
  powerLimited: z.boolean(),
  reasons: z.array(
    z.object({
      reason: z.string(),
      nodes: z.int(),
      needs: z.number().optional(),
      best: z.number().optional(),
      unit: z.string().optional(),
    }),
  ),
  at: z.string(),
  attempts: z.int(),
  source: z
    .enum(['scheduler', 'deployment-status'])
    .describe("The leader's live scheduler, or (on a follower) the deployment status it wrote"),
});

const placementQuery = z.strictObject({
  ...paginationQueryShape,
  node: z.string().min(1).max(253).optional().meta({ description: 'Kubernetes node name' }),
  scope: uuidSchema
    .optional()
    .meta({ description: 'Only placements on nodes under this scope (site, hall, row or rack id)' }),
  tenant: z.string().min(1).max(63).optional().meta({ description: 'Tenant name' }),
  deployment: z
    .string()
    .regex(
      /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
      'must be namespace/name of a ModelDeployment',
    )
    .optional()
    .meta({ description: 'namespace/name of a ModelDeployment' }),
});

const deploymentListQuery = z.strictObject({ ...paginationQueryShape, namespace: kubeName.optional() });

export const schedulingRoutes = {
  listDeployments: defineRoute({
    operationId: 'listDeployments',
    method: 'GET',
    path: `${API_PREFIX}/deployments`,
    tag,
    summary: 'ModelDeployments with replicas placed and ready and predicted watts',
    access: 'viewer',
    query: deploymentListQuery,
    success: {
      status: 200,
      description: 'A page of deployments, by namespace and name',
      schema: pageSchema(deploymentSummarySchema),
    },
    problems: [503],
  }),
  getDeployment: defineRoute({
    operationId: 'getDeployment',
    method: 'GET',
    path: `${API_PREFIX}/deployments/:namespace/:name`,
    tag,
    summary: 'One ModelDeployment: spec, status, placements and predicted watts',
    access: 'viewer',
    params: objectParams,
    success: { status: 200, description: 'The deployment', schema: deploymentDetailSchema },
    problems: [404, 503],
  }),
  listPlacements: defineRoute({
    operationId: 'listPlacements',
    method: 'GET',
    path: `${API_PREFIX}/placements`,
    tag,
    summary: 'Allocations of placed pods, filtered by node, scope, tenant or deployment',
    access: 'viewer',
    query: placementQuery,
    success: { status: 200, description: 'A page of placements, oldest first', schema: pageSchema(placementSchema) },
  }),
  getExplanation: defineRoute({
    operationId: 'getPodExplanation',
    method: 'GET',
    path: `${API_PREFIX}/pods/:namespace/:name/explanation`,
    tag,
    summary: 'Why a pending pod is not placed: the latest placement explanation',
    access: 'viewer',
    params: objectParams,
    success: { status: 200, description: 'The explanation', schema: explanationSchema },
    problems: [404, 503],
  }),
};
