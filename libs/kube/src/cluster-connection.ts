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

const TRANSPORT_TTL_MS = 10_000;

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

  /** The server URL's path prefix (some proxies serve the API below one). */
  private readonly basePath: string;
  private readonly secure: boolean;
  private transport: { at: number; options: https.RequestOptions } | null = null;

  private constructor(private readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.customObjects = kc.makeApiClient(CustomObjectsApi);
    this.watcher = new Watch(kc);
    this.server = kc.getCurrentCluster()!.server.replace(/\/+$/, '');
    const url = new URL(this.server);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.secure = url.protocol === 'https:';
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
    const action = `${req.method} ${req.path}`;
    const base = await this.transportOptions();
    let path = this.basePath + req.path;
    let separator = path.includes('?') ? '&' : '?';
    for (const k in req.query) {
      const v = req.query[k];
      if (v === undefined) continue;
      path += `${separator}${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`;
      separator = '&';
    }
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    const headers: http.OutgoingHttpHeaders = {
      ...(base.headers as http.OutgoingHttpHeaders),
      Accept: 'application/json',
    };
    if (payload !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    const opts: https.RequestOptions = { ...base, method: req.method, path, headers };
    const transport = this.secure ? https : http;
    const {
      status,
      text,
      headers: answerHeaders,
    } = await new Promise<{
      status: number;
      text: string;
      headers: http.IncomingHttpHeaders;
    }>((resolve, reject) => {
      const r = transport.request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      });
      r.on('error', reject);
      r.end(payload);
    }).catch((err: unknown) => {
      throw toKubeApiError(err, action);
    });
    if (status === 401) this.transport = null; // credentials may have rotated: apply them afresh next time
    if (status < 200 || status > 299)
      throw toKubeApiError({ code: status, body: text, headers: answerHeaders }, action);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new KubeApiError(status, undefined, `${action}: answer is not JSON`);
    }
  }

  /**
   * Host, TLS material, credentials and the keep-alive agent, as client-node applies them.
   * Applying them decodes certificates and may read token files, so the result is kept for a
   * few seconds (well inside any token rotation; a 401 drops it at once).
   */
  private async transportOptions(): Promise<https.RequestOptions> {
    const now = Date.now();
    if (this.transport && now - this.transport.at < TRANSPORT_TTL_MS) return this.transport.options;
    const options: https.RequestOptions = { headers: {} };
    await this.kc.applyToHTTPSOptions(options);
    const url = new URL(this.server);
    options.hostname = url.hostname.replace(/^\[(.*)\]$/, '$1'); // IPv6 literals without brackets
    if (url.port) options.port = Number(url.port);
    options.protocol = url.protocol;
    this.transport = { at: now, options };
    return options;
  }
}
