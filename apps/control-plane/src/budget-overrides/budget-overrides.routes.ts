import {
  API_PREFIX,
  budgetOverrideCreateSchema,
  budgetOverrideListQuerySchema,
  budgetOverridePageSchema,
  budgetOverrideSchema,
  idParamsSchema,
} from '@switchyard/contracts';
import { defineRoute } from '../http/route-spec';

const tag = 'budget overrides';
const base = `${API_PREFIX}/budget-overrides`;

export const budgetOverrideRoutes = {
  list: defineRoute({
    operationId: 'listBudgetOverrides',
    method: 'GET',
    path: base,
    tag,
    summary: 'List budget overrides, newest start first; filter by scope and state',
    access: 'viewer',
    query: budgetOverrideListQuerySchema,
    success: { status: 200, description: 'A page of budget overrides', schema: budgetOverridePageSchema },
  }),
  get: defineRoute({
    operationId: 'getBudgetOverride',
    method: 'GET',
    path: `${base}/:id`,
    tag,
    summary: 'A budget override',
    access: 'viewer',
    params: idParamsSchema,
    success: { status: 200, description: 'The budget override', schema: budgetOverrideSchema },
    problems: [404],
  }),
  create: defineRoute({
    operationId: 'createBudgetOverride',
    method: 'POST',
    path: base,
    tag,
    summary: 'Lower a scope budget for a time window (grid event)',
    description:
      'While active, the scope budget is the lowest of capacity x oversubscription and every active override.',
    access: 'operator',
    body: budgetOverrideCreateSchema,
    success: { status: 201, description: 'Created; Location names the override', schema: budgetOverrideSchema },
    problems: [404],
  }),
  cancel: defineRoute({
    operationId: 'cancelBudgetOverride',
    method: 'DELETE',
    path: `${base}/:id`,
    tag,
    summary: 'Cancel a budget override (it is kept, marked cancelled, for the record)',
    access: 'operator',
    params: idParamsSchema,
    success: { status: 204, description: 'Cancelled' },
    problems: [404, 409],
  }),
};
