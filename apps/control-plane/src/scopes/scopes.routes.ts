import {
  API_PREFIX,
  idParamsSchema,
  scopeDetailSchema,
  scopeTreeSchema,
  scopeUpdateSchema,
} from '@switchyard/contracts';
import { defineRoute } from '../http/route-spec';

const tag = 'scopes';

export const scopeRoutes = {
  tree: defineRoute({
    operationId: 'getScopeTree',
    method: 'GET',
    path: `${API_PREFIX}/scopes`,
    tag,
    summary: 'The power scope tree (site > hall > row > rack) with aggregates',
    description:
      'Each scope carries its capacity, oversubscription, the active budget override, the effective budget now, ' +
      'the predicted watts allocated inside it and its GPUs total / allocated.',
    access: 'viewer',
    success: { status: 200, description: 'Every site as a tree', schema: scopeTreeSchema },
  }),
  get: defineRoute({
    operationId: 'getScope',
    method: 'GET',
    path: `${API_PREFIX}/scopes/:id`,
    tag,
    summary: 'One scope with its aggregates and direct children',
    access: 'viewer',
    params: idParamsSchema,
    success: { status: 200, description: 'The scope', schema: scopeDetailSchema },
    problems: [404],
  }),
  update: defineRoute({
    operationId: 'updateScope',
    method: 'PATCH',
    path: `${API_PREFIX}/scopes/:id`,
    tag,
    summary: "Change a scope's capacity and/or oversubscription ratio",
    description:
      'The effective budget becomes floor(capacityWatts x oversubscriptionRatio), still lowered by an active ' +
      'override. Audited with its actor.',
    access: 'operator',
    params: idParamsSchema,
    body: scopeUpdateSchema,
    success: { status: 200, description: 'The updated scope with its aggregates', schema: scopeDetailSchema },
    problems: [404],
  }),
};
