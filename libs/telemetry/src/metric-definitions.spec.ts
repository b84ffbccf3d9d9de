import { METRIC_DEFINITIONS } from './metric-definitions';
import { ControlPlaneMetrics } from './control-plane-metrics';

// Labels that would make a series per pod, GPU or URL: forbidden by the design.
const UNBOUNDED_LABELS = ['pod', 'pod_uid', 'uid', 'gpu_uuid', 'uuid', 'url', 'path', 'node_name', 'token'];

describe('metric definitions', () => {
  it.each(METRIC_DEFINITIONS.map((d) => [d.name, d] as const))('%s follows the naming rules', (_name, definition) => {
    expect(definition.name).toMatch(/^switchyard_[a-z0-9_]+$/);
    if (definition.type === 'counter') expect(definition.name).toMatch(/_total$/);
    if (definition.type === 'histogram') expect(definition.name).toMatch(/_(seconds|watts|bytes|ratio)$/);
    expect(definition.help.length).toBeGreaterThan(10);
    for (const label of definition.labelNames) expect(UNBOUNDED_LABELS).not.toContain(label);
  });

  it('defines each name once', () => {
    const names = METRIC_DEFINITIONS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('ControlPlaneMetrics', () => {
  it('counts HTTP requests by route template and maps unmatched routes to one label', async () => {
    const metrics = new ControlPlaneMetrics({ processMetrics: false });
    metrics.observeHttpRequest({ method: 'get', route: '/api/v1/scopes/:id', status: 200, durationSeconds: 0.012 });
    metrics.observeHttpRequest({ method: 'GET', route: '/api/v1/scopes/:id', status: 200, durationSeconds: 0.02 });
    metrics.observeHttpRequest({ method: 'GET', route: undefined, status: 404, durationSeconds: 0.001 });
    const { body, contentType } = await metrics.exposition();
    expect(contentType).toContain('text/plain');
    expect(body).toContain('switchyard_http_requests_total{method="GET",route="/api/v1/scopes/:id",status="200"} 2');
    expect(body).toContain('switchyard_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(body).toContain(
      'switchyard_http_request_duration_seconds_bucket{le="0.025",method="GET",route="/api/v1/scopes/:id",status="200"} 2',
    );
  });

  it('gives each instance its own registry, so two apps in one process do not collide', async () => {
    const a = new ControlPlaneMetrics();
    const b = new ControlPlaneMetrics();
    a.observeHttpRequest({ method: 'GET', route: '/healthz', status: 200, durationSeconds: 0.001 });
    expect((await b.exposition()).body).not.toContain('route="/healthz"');
    expect((await a.exposition()).body).toContain('process_cpu_seconds_total');
  });
});
