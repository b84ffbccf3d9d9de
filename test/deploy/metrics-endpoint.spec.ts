/**
 * What Prometheus gets from /metrics of a running control plane: gzip when it asks (it always
 * does), the identity encoding otherwise, and an exposition that `promtool check metrics` (Debian's
 * prometheus package) accepts without a complaint.
 */
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { NON_COMPLIANT_DEFAULT_METRICS } from '@switchyard/telemetry';
import { startTestControlPlane, type RunningControlPlane } from './support/control-plane';
import { describeWith, prometheusBinary } from './support/prometheus-binaries';

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** A GET without fetch's transparent decompression, so the test sees the bytes on the wire. */
function rawGet(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const promtool = prometheusBinary('promtool');
let app: RunningControlPlane;
let metricsUrl: string;

beforeAll(async () => {
  app = await startTestControlPlane();
  metricsUrl = `${app.handle.url}/metrics`;
});
afterAll(() => app?.close());

describe('/metrics encoding', () => {
  it('is gzip-compressed when the client accepts gzip, with Content-Encoding and Vary', async () => {
    const res = await rawGet(metricsUrl, { 'Accept-Encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.vary).toMatch(/Accept-Encoding/i);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = gunzipSync(res.body).toString('utf8');
    expect(text).toContain('# TYPE switchyard_scope_budget_watts gauge');
    expect(res.body.length).toBeLessThan(text.length / 3);
  });

  it.each([
    ['no Accept-Encoding', {}],
    ['identity only', { 'Accept-Encoding': 'identity' }],
    ['gzip refused (q=0)', { 'Accept-Encoding': 'gzip;q=0, identity' }],
  ])('is plain text with %s', async (_case, headers: Record<string, string>) => {
    const res = await rawGet(metricsUrl, headers);
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toMatch(/Accept-Encoding/i);
    expect(res.body.toString('utf8')).toContain('# TYPE switchyard_scope_budget_watts gauge');
  });
});

describeWith(promtool)('/metrics under promtool check metrics', () => {
  it('has no complaint, and keeps the per-type handle and request gauges', async () => {
    const text = (await rawGet(metricsUrl, {})).body.toString('utf8');
    const check = spawnSync(promtool!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ status: check.status, output: `${check.stdout}${check.stderr}` }).toEqual({ status: 0, output: '' });
    for (const name of NON_COMPLIANT_DEFAULT_METRICS) {
      expect(text).not.toContain(`# TYPE ${name} `);
      expect(text).toContain(`# TYPE ${name.replace(/_total$/, '')} gauge`);
    }
  });
});
