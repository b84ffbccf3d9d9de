import {
  API_PREFIX,
  createdTokenSchema,
  idParamsSchema,
  tokenCreateSchema,
  tokenListQuerySchema,
  tokenListSchema,
} from '@switchyard/contracts';
import { defineRoute } from '../http/route-spec';

const tag = 'tokens';
const base = `${API_PREFIX}/tokens`;

export const tokenRoutes = {
  list: defineRoute({
    operationId: 'listTokens',
    method: 'GET',
    path: base,
    tag,
    summary: 'List API tokens (never their secrets), newest first',
    access: 'admin',
    query: tokenListQuerySchema,
    success: { status: 200, description: 'The tokens', schema: tokenListSchema },
  }),
  create: defineRoute({
    operationId: 'createToken',
    method: 'POST',
    path: base,
    tag,
    summary: 'Create an API token; the answer carries its secret, shown only once',
    access: 'admin',
    body: tokenCreateSchema,
    success: { status: 201, description: 'Created; Location names the token', schema: createdTokenSchema },
  }),
  revoke: defineRoute({
    operationId: 'revokeToken',
    method: 'DELETE',
    path: `${base}/:id`,
    tag,
    summary: 'Revoke an API token; requests carrying it get 401 from now on',
    access: 'admin',
    params: idParamsSchema,
    success: { status: 204, description: 'Revoked' },
    problems: [404, 409],
  }),
};
