/* eslint-disable @typescript-eslint/no-explicit-any -- these tests read loosely typed Kubernetes JSON */
import * as k8s from '@kubernetes/client-node';
import { request as httpsRequest } from 'node:https';
import { startKubeSim, type KubeSim, type KubeSimOptions } from '@switchyard/kube-sim';

/** A running embedded API and a client-node KubeConfig pointing at it, as an application would load it. */
export interface SimWithClients {
  sim: KubeSim;
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
}

export async function startSimWithClients(options: KubeSimOptions = {}): Promise<SimWithClients> {
  const sim = await startKubeSim({ kubeletDelayMs: 20, bookmarkIntervalMs: 200, ...options });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  return { sim, kc, core: kc.makeApiClient(k8s.CoreV1Api) };
}

/** The HTTP status of a failed client-node call, and its Kubernetes Status body. */
export async function failure(call: Promise<unknown>): Promise<{ code: number; body: Record<string, any> }> {
  try {
    await call;
  } catch (e) {
    const error = e as { code?: number; body?: unknown };
    if (typeof error.code !== 'number') throw e;
    const body =
      typeof error.body === 'string'
        ? (JSON.parse(error.body) as Record<string, any>)
        : ((error.body ?? {}) as Record<string, any>);
    return { code: error.code, body };
  }
  throw new Error('expected the call to fail');
}

export async function eventually<T>(
  probe: () => T | Promise<T>,
  what: string,
  attempts = 200,
  everyMs = 25,
): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export function pod(name: string, extra: Partial<k8s.V1Pod> = {}): k8s.V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'demo' }, ...(extra.metadata ?? {}) },
    spec: {
      schedulerName: 'switchyard',
      containers: [{ name: 'main', image: 'registry.local/model-server:1.0' }],
      ...(extra.spec ?? {}),
    },
  };
}

/** A raw HTTPS request to the simulator (for what client-node does not expose: Accept headers, exact status codes). */
export function rawRequest(
  sim: KubeSim,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any; text: string }> {
  const url = new URL(path, sim.url);
  const payload =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        ca: sim.caCertificate,
        headers: {
          Authorization: `Bearer ${sim.token}`,
          'Content-Type': 'application/json',
          ...(options.headers ?? {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON (watch streams, plain text)
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
