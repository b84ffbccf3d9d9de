import { problemSchema } from '@switchyard/contracts';
import { openHttpTestApp, type HttpTestApp } from './support/http-test-app';

let t: HttpTestApp;
beforeAll(async () => {
  t = await openHttpTestApp();
});
afterAll(() => t.close());

describe('open operational endpoints', () => {
  it('GET /healthz answers without a token', async () => {
    const res = await t.http.get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz reports the database reachable and migrated', async () => {
    const res = await t.http.get('/readyz').expect(200);
    expect(res.body).toEqual({
      ready: true,
      checks: { database: { ok: true, detail: 'postgres, migrations applied' } },
    });
  });

  it('GET /readyz answers 503 with the failing check while a migration is missing', async () => {
    const [last] = await t.db.database.withSession((s) =>
      s.query<{ id: string; migration_name: string }>(
        'SELECT id, migration_name FROM "_prisma_migrations" ORDER BY migration_name DESC LIMIT 1',
      ),
    );
    await t.db.database.withSession((s) =>
      s.query('UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE id = $1', [last.id]),
    );
    try {
      const res = await t.http.get('/readyz').expect(503);
      expect(res.body).toEqual({ ready: false, checks: { database: { ok: false, detail: '1 migrations pending' } } });
    } finally {
      await t.db.database.withSession((s) =>
        s.query('UPDATE "_prisma_migrations" SET rolled_back_at = NULL WHERE id = $1', [last.id]),
      );
    }
    await t.http.get('/readyz').expect(200);
  });

  it('GET /metrics serves Prometheus text with request counts by route template', async () => {
    await t.http.get('/api/v1/tenants/00000000-0000-4000-8000-000000000000').set(t.auth('viewer')).expect(404);
    const res = await t.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('# TYPE switchyard_http_requests_total counter');
    expect(res.text).toContain(
      'switchyard_http_requests_total{method="GET",route="/api/v1/tenants/:id",status="404"} 1',
    );
    expect(res.text).toContain('switchyard_http_request_duration_seconds_bucket');
    expect(res.text).not.toContain('00000000-0000-4000-8000-000000000000');
  });

  it('unknown URLs share one route label and get a problem', async () => {
    const res = await t.http.get('/no/such/path').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(problemSchema.parse(res.body)).toMatchObject({
      type: 'https://switchyard.io/problems/not-found',
      status: 404,
      instance: '/no/such/path',
    });
    const metrics = await t.http.get('/metrics');
    expect(metrics.text).toContain('route="unmatched",status="404"');
  });

  it('echoes a request id', async () => {
    const res = await t.http.get('/healthz').set('X-Request-Id', 'abc-123').expect(200);
    expect(res.headers['x-request-id']).toBe('abc-123');
    const generated = await t.http.get('/healthz');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('API documentation', () => {
  it('serves the OpenAPI 3.1 document openly', async () => {
    const res = await t.http.get('/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body.paths['/api/v1/tenants/{id}'].get.security).toEqual([{ bearer: [] }]);
    expect(res.body.paths['/healthz'].get.security).toEqual([]);
  });

  it('serves Swagger UI at /docs with its assets', async () => {
    const page = await t.http.get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('/openapi.json');
    const asset = await t.http.get('/docs/assets/swagger-ui-bundle.js').expect(200);
    expect(asset.text.length).toBeGreaterThan(100_000);
  });
});
