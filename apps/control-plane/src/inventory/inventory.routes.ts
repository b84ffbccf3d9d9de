import {
  API_PREFIX,
  gpuListQuerySchema,
  gpuPageSchema,
  gpuProductListSchema,
  nodeListQuerySchema,
  nodePageSchema,
  nodeParamsSchema,
  nodeSchema,
} from '@switchyard/contracts';
import { defineRoute } from '../http/route-spec';

const tag = 'inventory';

export const inventoryRoutes = {
  listNodes: defineRoute({
    operationId: 'listNodes',
    method: 'GET',
    path: `${API_PREFIX}/nodes`,
    tag,
    summary: 'List nodes with their GPUs, by name; filter by scope, GPU product, health, schedulable',
    access: 'viewer',
    query: nodeListQuerySchema,
    success: { status: 200, description: 'A page of nodes', schema: nodePageSchema },
  }),
  getNode: defineRoute({
    operationId: 'getNode',
    method: 'GET',
    path: `${API_PREFIX}/nodes/:name`,
    tag,
    summary: 'A node with its GPUs, by Kubernetes node name or id',
    access: 'viewer',
    params: nodeParamsSchema,
    success: { status: 200, description: 'The node', schema: nodeSchema },
    problems: [404],
  }),
  listGpus: defineRoute({
    operationId: 'listGpus',
    method: 'GET',
    path: `${API_PREFIX}/gpus`,
    tag,
    summary: 'List GPUs by node name and index; filter by scope, node, product, health, availability',
    access: 'viewer',
    query: gpuListQuerySchema,
    success: { status: 200, description: 'A page of GPUs', schema: gpuPageSchema },
  }),
  listGpuProducts: defineRoute({
    operationId: 'listGpuProducts',
    method: 'GET',
    path: `${API_PREFIX}/gpu-products`,
    tag,
    summary: 'The GPU product catalog',
    access: 'viewer',
    success: { status: 200, description: 'The products', schema: gpuProductListSchema },
  }),
};
