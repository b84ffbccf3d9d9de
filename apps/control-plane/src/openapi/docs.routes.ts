import { z } from 'zod';
import { defineRoute } from '../http/route-spec';

// The API description is public: it holds no data, and Swagger UI must load it before the
// user has entered a token (the token is then sent by "Authorize" for the calls themselves).
export const docsRoutes = {
  openapi: defineRoute({
    operationId: 'getOpenApiDocument',
    method: 'GET',
    path: '/openapi.json',
    tag: 'operations',
    summary: 'This OpenAPI 3.1 document',
    access: 'public',
    success: { status: 200, description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) },
  }),
  docs: defineRoute({
    operationId: 'getDocs',
    method: 'GET',
    path: '/docs',
    tag: 'operations',
    summary: 'Browsable API documentation (Swagger UI)',
    access: 'public',
    success: { status: 200, description: 'HTML page', mediaType: 'text/html', schema: z.string() },
  }),
};
