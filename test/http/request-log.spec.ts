import { Writable } from 'node:stream';
import { createRootLogger } from '../../apps/control-plane/src/logging/logger';
import { openHttpTestApp, type HttpTestApp } from './support/http-test-app';

const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
      lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});

let t: HttpTestApp;
beforeAll(async () => {
  t = await openHttpTestApp({ log: createRootLogger('debug', sink) });
});
afterAll(() => t.close());

describe('structured request log', () => {
  it('writes one JSON line per request with route template, status, duration and actor, never the token', async () => {
    await t.http.get('/api/v1/tenants?limit=5').set(t.auth('viewer')).set('X-Request-Id', 'req-42').expect(200);
    const line = lines.find((l) => l.requestId === 'req-42');
    expect(line).toMatchObject({
      level: 'info',
      service: 'switchyard-control-plane',
      component: 'HttpRequests',
      msg: 'request',
      method: 'GET',
      path: '/api/v1/tenants',
      route: '/api/v1/tenants',
      status: 200,
      actor: `test-viewer:${t.tokens.viewer.id}`,
    });
    expect(typeof line!.durationMs).toBe('number');
    expect(typeof line!.time).toBe('string');
    expect(JSON.stringify(lines)).not.toContain(t.tokens.viewer.secret);
  });

  it('logs probes (healthz, readyz, metrics) at debug level', async () => {
    await t.http.get('/healthz').set('X-Request-Id', 'probe-1').expect(200);
    expect(lines.find((l) => l.requestId === 'probe-1')).toMatchObject({ level: 'debug' });
  });
});
