import { apiRoutes, openApiDocument } from '../../apps/control-plane/src/control-plane.module';

type Operation = {
  operationId: string;
  security: unknown[];
  parameters?: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, unknown> }>;
};

const document = openApiDocument() as {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
);

describe('the OpenAPI document', () => {
  it('describes exactly the routes the app serves', () => {
    const served = apiRoutes()
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`)
      .sort();
    const documented = operations.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort();
    expect(documented).toEqual(served);
    const ids = operations.map((o) => o.operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('marks protected operations with bearer security and their 401/403 problems', () => {
    for (const { path, operation } of operations) {
      if (!path.startsWith('/api/v1/')) continue;
      expect(operation.security).toEqual([{ bearer: [] }]);
      expect(operation.responses['401'].content).toHaveProperty(['application/problem+json']);
      expect(operation.responses['403']).toBeDefined();
    }
  });

  it('documents path parameters, query parameters and bodies', () => {
    const find = (path: string, method: string) =>
      operations.find((o) => o.path === path && o.method === method)!.operation;
    expect(find('/api/v1/tenants/{id}', 'patch').parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    ]);
    expect(find('/api/v1/nodes', 'get').parameters!.map((p) => p.name)).toEqual([
      'scopeId',
      'product',
      'health',
      'schedulable',
      'limit',
      'cursor',
    ]);
    expect(find('/api/v1/nodes', 'get').parameters!.every((p) => !p.required)).toBe(true);
    expect(Object.keys(find('/api/v1/topology', 'put').requestBody!.content)).toEqual(
      expect.arrayContaining(['application/json', 'application/yaml']),
    );
    expect(find('/api/v1/tenants', 'post').responses['201']).toBeDefined();
    expect(find('/api/v1/tenants/{id}', 'delete').responses['204']).toBeDefined();
  });

  it('every $ref points at a component that exists', () => {
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(document.components.schemas).toHaveProperty([ref.split('/').pop()!]);
    }
  });
});
