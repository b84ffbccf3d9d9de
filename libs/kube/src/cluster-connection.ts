/**
 * The one place that loads a kubeconfig and makes client-node API clients. Everything else in
 * this library receives a ClusterConnection; nothing outside it sees client-node.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { KubeApiError, toKubeApiError } from './kube-errors';

/** Where the cluster credentials come from. */
export type KubeConfigSource =
  /** `KUBECONFIG` (or ~/.kube/config), else in-cluster service-account credentials. */
  | { readonly kind: 'default' }
  | { readonly kind: 'in-cluster' }
  | { readonly kind: 'file'; readonly path: string }
  /** A kubeconfig document, e.g. the one the embedded API writes. */
  | { readonly kind: 'yaml'; readonly yaml: string };

export class KubeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeConfigError';
  }
}

function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const kc = new KubeConfig();
  try {
    switch (source.kind) {
      case 'default':
        kc.loadFromDefault();
        break;
      case 'in-cluster':
        kc.loadFromCluster();
        break;
      case 'file':
        kc.loadFromFile(source.path);
        break;
      case 'yaml':
        kc.loadFromString(source.yaml);
        break;
    }
  } catch (err) {
    throw new KubeConfigError(`cannot load kubeconfig (${source.kind}): ${(err as Error).message}`);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeConfigError(`kubeconfig (${source.kind}) has no current cluster`);
  reuseConnections(kc);
  return kc;
}

type AgentFactory = (cluster: unknown, agentOptions: Record<string, unknown>) => http.Agent;

/**
 * client-node 1.4 builds a new Agent for every request (KubeConfig.createAgent), so every call
 * pays a new TCP connection and TLS handshake; at scheduling rates that dominates. This keeps
 * one keep-alive agent per distinct set of TLS options (certificates rotate, so they are part
 * of the key) and hands it to every request, typed or raw. It patches a private method: if a
 * client-node upgrade renames it, this silently falls back to the library's behaviour.
 */
function reuseConnections(kc: KubeConfig): void {
  const target = kc as unknown as { createAgent?: AgentFactory };
  const original = target.createAgent;
  if (typeof original !== 'function') return;
  const agents = new Map<string, http.Agent>();
  target.createAgent = (cluster, agentOptions) => {
    const key = JSON.stringify(agentOptions, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : v));
    let agent = agents.get(key);
    if (!agent) {
      agent = original.call(kc, cluster, { ...agentOptions, keepAlive: true, keepAliveMsecs: 30_000 });
      if (agents.size >= 8) agents.clear(); // options keep changing (rotating credentials): do not grow without bound
      agents.set(key, agent);
    }
    return agent;
  };
}

export interface RawRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  readonly contentType?: string;
}

/** A live connection to one API server: client-node clients plus raw JSON requests. */
export class ClusterConnection {
  readonly core: CoreV1Api;
  readonly coordination: CoordinationV1Api;
  readonly customObjects: CustomObjectsApi;
  readonly watcher: Watch;
  /** The API server URL, e.g. `https://10.0.0.1:443` or `http://127.0.0.1:41234`. */
  readonly server: string;
  /** The namespace of the current kubeconfig context (`default` when it names none). */
  readonly defaultNamespace: string;

  private constructor(private readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.customObjects = kc.makeApiClient(CustomObjectsApi);
    this.watcher = new Watch(kc);
    this.server = kc.getCurrentCluster()!.server.replace(/\/+$/, '');
    const context = kc.getContextObject(kc.getCurrentContext());
    this.defaultNamespace = context?.namespace ?? 'default';
  }

  static connect(source: KubeConfigSource): ClusterConnection {
    return new ClusterConnection(loadKubeConfig(source));
  }

  /**
   * A JSON request with the kubeconfig's credentials, returning the decoded body as the
   * server sent it (wire form: timestamps stay strings). Used where the generated clients
   * would turn objects into classes (lists for informers), so cache and watch agree.
   */
  async request<T>(req: RawRequest): Promise<T> {
    const url = new URL(this.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const opts: https.RequestOptions = { method: req.method, headers: { Accept: 'application/json' } };
    await this.kc.applyToHTTPSOptions(opts);
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    if (payload !== undefined) {
      opts.headers = {
        ...opts.headers,
        'Content-Type': req.contentType ?? 'application/json',
        'Content-Length': Buffer.byteLength(payload),
      };
    }
    const action = `${req.method} ${req.path}`;
    const transport = url.protocol === 'https:' ? https : http;
    const { status, text, headers } = await new Promise<{
      status: number;
      text: string;
      headers: http.IncomingHttpHeaders;
    }>((resolve, reject) => {
      const r = transport.request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }),
        );
        res.on('error', reject);
      });
      r.on('error', reject);
      if (payload !== undefined) r.write(payload);
      r.end();
    }).catch((err: unknown) => {
      throw toKubeApiError(err, action);
    });
    if (status < 200 || status > 299) throw toKubeApiError({ code: status, body: text, headers }, action);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new KubeApiError(status, undefined, `${action}: answer is not JSON`);
    }
  }
}
