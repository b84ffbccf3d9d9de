import {
  API_PREFIX,
  idParamsSchema,
  modelProfileCreateSchema,
  modelProfileListQuerySchema,
  modelProfilePageSchema,
  modelProfileSchema,
  modelProfileUpdateSchema,
} from '@switchyard/contracts';
import { defineRoute } from '../http/route-spec';

const tag = 'model profiles';
const base = `${API_PREFIX}/model-profiles`;

export const modelProfileRoutes = {
  list: defineRoute({
    operationId: 'listModelProfiles',
    method: 'GET',
    path: base,
    tag,
    summary: 'List model profiles, by name',
    access: 'viewer',
    query: modelProfileListQuerySchema,
    success: { status: 200, description: 'A page of model profiles', schema: modelProfilePageSchema },
  }),
  get: defineRoute({
    operationId: 'getModelProfile',
    method: 'GET',
    path: `${base}/:id`,
    tag,
    summary: 'A model profile',
    access: 'viewer',
    params: idParamsSchema,
    success: { status: 200, description: 'The model profile', schema: modelProfileSchema },
    problems: [404],
  }),
  create: defineRoute({
    operationId: 'createModelProfile',
    method: 'POST',
    path: base,
    tag,
    summary: 'Create a model profile (GPUs per replica, memory, allowed products, predicted power)',
    access: 'operator',
    body: modelProfileCreateSchema,
    success: { status: 201, description: 'Created; Location names the profile', schema: modelProfileSchema },
    problems: [409],
  }),
  update: defineRoute({
    operationId: 'updateModelProfile',
    method: 'PATCH',
    path: `${base}/:id`,
    tag,
    summary: 'Change fields of a model profile',
    access: 'operator',
    params: idParamsSchema,
    body: modelProfileUpdateSchema,
    success: { status: 200, description: 'The updated profile', schema: modelProfileSchema },
    problems: [404, 409],
  }),
  delete: defineRoute({
    operationId: 'deleteModelProfile',
    method: 'DELETE',
    path: `${base}/:id`,
    tag,
    summary: 'Delete a model profile no deployment uses',
    access: 'operator',
    params: idParamsSchema,
    success: { status: 204, description: 'Deleted' },
    problems: [404, 409],
  }),
};
