import fc from 'fast-check';
import { backoffDelayMs, sleep } from './backoff';
import { ClusterConnection, KubeConfigError } from './cluster-connection';
import { KubeApiError, toKubeApiError } from './kube-errors';
import { collectionPath, objectKey } from './kube-objects';

describe('backoffDelayMs', () => {
  it('stays within [ceiling/2, ceiling] and the ceiling doubles up to the maximum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 80 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (initialMs, extra, attempt, r) => {
          const maxMs = initialMs + extra;
          const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
          const d = backoffDelayMs({ initialMs, maxMs }, attempt, () => r);
          expect(d).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
          expect(d).toBeLessThanOrEqual(Math.ceil(ceiling));
        },
      ),
    );
  });

  it('sleep returns at once when aborted', async () => {
    const c = new AbortController();
    const p = sleep(60_000, c.signal);
    c.abort();
    await expect(p).resolves.toBeUndefined();
  });
});

describe('toKubeApiError', () => {
  it('maps client-node exceptions with a Status body to typed errors', () => {
    const e = toKubeApiError(
      {
        code: 409,
        body: JSON.stringify({ kind: 'Status', reason: 'Conflict', message: 'pod p is already assigned to node n' }),
      },
      'bind pod ns/p',
    );
    expect(e).toBeInstanceOf(KubeApiError);
    expect(e).toMatchObject({ status: 409, reason: 'Conflict', isConflict: true, isTransient: false });
    expect(e.message).toBe('bind pod ns/p: 409 Conflict: pod p is already assigned to node n');
  });

  it('keeps Retry-After and marks throttling, server errors and lost connections transient', () => {
    expect(toKubeApiError({ code: 429, body: '{}', headers: { 'retry-after': '3' } }, 'x')).toMatchObject({
      retryAfterSeconds: 3,
      isTransient: true,
    });
    expect(toKubeApiError({ statusCode: 410 }, 'watch pods')).toMatchObject({ isGone: true });
    expect(toKubeApiError(new Error('connect ECONNREFUSED 127.0.0.1:1'), 'list pods')).toMatchObject({
      status: 0,
      isTransient: true,
    });
  });
});

describe('ClusterConnection.connect', () => {
  it('names the source when a kubeconfig cannot be loaded', () => {
    expect(() => ClusterConnection.connect({ kind: 'file', path: '/nonexistent/kubeconfig' })).toThrow(KubeConfigError);
    expect(() =>
      ClusterConnection.connect({ kind: 'yaml', yaml: 'apiVersion: v1\nkind: Config\nclusters: []\n' }),
    ).toThrow(/no current cluster|cannot load kubeconfig \(yaml\)/);
  });

  it('reads the server and the context namespace from an explicit kubeconfig', () => {
    const conn = ClusterConnection.connect({
      kind: 'yaml',
      yaml: [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443/"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: c, user: u, namespace: team-a}}]',
        'current-context: x',
      ].join('\n'),
    });
    expect(conn.server).toBe('https://10.0.0.1:6443');
    expect(conn.defaultNamespace).toBe('team-a');
  });
});

describe('paths and keys', () => {
  it('builds core and group collection paths', () => {
    expect(collectionPath('v1', 'pods')).toBe('/api/v1/pods');
    expect(collectionPath('v1', 'pods', 'ns')).toBe('/api/v1/namespaces/ns/pods');
    expect(collectionPath('switchyard.io/v1alpha1', 'modeldeployments', 'ns')).toBe(
      '/apis/switchyard.io/v1alpha1/namespaces/ns/modeldeployments',
    );
    expect(objectKey({ metadata: { name: 'n' } })).toBe('n');
    expect(objectKey({ metadata: { name: 'p', namespace: 'ns' } })).toBe('ns/p');
  });
});
