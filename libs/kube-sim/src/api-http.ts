import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest, KubeApiError, statusObject } from './api-error';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION } from './discovery';
import type { FaultInjector } from './fault-injector';
import type { DeleteOptions, ObjectApi, PatchType } from './object-api';
import { listJson, objectJson } from './object-json';
import { OPENAPI_V2_JSON, OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_CONTENT_TYPE } from './openapi';
import { apiVersionOf, type KubeObject, type ResourceType } from './resource-type';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { toTable, wantsTable, type IncludeObject } from './table';
import { serveWatch } from './watch-stream';

const MAX_BODY_BYTES = 3 * 1024 * 1024;

const PATCH_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export interface HttpOptions {
  token?: string;
  bookmarkIntervalMs: number;
  now: () => number;
  /** Serves the simulated exporters' paths (open, as exporters are); false for any other path. */
  exporters?: (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<boolean>;
}

interface ResourcePath {
  type: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  watchPath: boolean;
}

/** Routes Kubernetes REST paths (discovery, OpenAPI, resources, subresources, watches) to the object API. */
export class ApiHttpHandler {
  constructor(
    private readonly api: ObjectApi,
    private readonly faults: FaultInjector,
    private readonly options: HttpOptions,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.route(req, res);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const error =
        e instanceof KubeApiError
          ? e
          : new KubeApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
      const headers: Record<string, string> = {};
      if (error.details?.retryAfterSeconds !== undefined)
        headers['Retry-After'] = String(error.details.retryAfterSeconds);
      sendJson(res, error.code, error.toStatus(), headers);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const segments = url.pathname
      .split('/')
      .filter((s) => s.length > 0)
      .map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/exporters/') && (await this.options.exporters?.(req, res, url.pathname))) return;
    if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
      return;
    }
    if (this.options.token !== undefined && req.headers.authorization !== `Bearer ${this.options.token}`) {
      throw new KubeApiError(401, 'Unauthorized', 'Unauthorized');
    }
    const registry = this.api.registry;
    if (method === 'GET') {
      const discovery = this.discovery(url.pathname, segments, req);
      if (discovery === 'openapi') {
        const accept = req.headers.accept ?? '';
        if (accept.includes('protobuf'))
          res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF_CONTENT_TYPE }).end(OPENAPI_V2_PROTOBUF);
        else sendJson(res, 200, OPENAPI_V2_JSON);
        return;
      }
      if (discovery) {
        sendJson(res, 200, discovery);
        return;
      }
    }
    const path = this.resourcePath(segments);
    if (!path) throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
    void registry;
    await this.injectFaults(method);
    await this.serveResource(req, res, url, method, path);
  }

  private discovery(pathname: string, segments: string[], req: IncomingMessage): unknown {
    const registry = this.api.registry;
    if (pathname === '/version' || pathname === '/version/') return SERVER_VERSION;
    if (pathname === '/openapi/v2') return 'openapi';
    if (segments.length === 1 && segments[0] === 'api') return apiVersions(req.headers.host ?? '127.0.0.1');
    if (segments.length === 2 && segments[0] === 'api')
      return apiResourceList(registry, '', segments[1]) ?? notFoundPath();
    if (segments.length === 1 && segments[0] === 'apis') return apiGroupList(registry);
    if (segments.length === 2 && segments[0] === 'apis') return apiGroup(registry, segments[1]) ?? notFoundPath();
    if (segments.length === 3 && segments[0] === 'apis')
      return apiResourceList(registry, segments[1], segments[2]) ?? notFoundPath();
    return undefined;
  }

  private resourcePath(segments: string[]): ResourcePath | undefined {
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length >= 3) {
      group = '';
      version = segments[1];
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments.length >= 4) {
      group = segments[1];
      version = segments[2];
      rest = segments.slice(3);
    } else return undefined;
    let watchPath = false;
    if (rest[0] === 'watch') {
      watchPath = true;
      rest = rest.slice(1);
    }
    const registry = this.api.registry;
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && registry.find(group, version, rest[2])?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    if (rest.length === 0 || rest.length > 3) return undefined;
    const type = registry.find(group, version, rest[0]);
    if (!type) return undefined;
    if (type.namespaced && namespace === undefined && rest.length > 1) return undefined;
    return { type, version, namespace, name: rest[1], subresource: rest[2], watchPath };
  }

  private async injectFaults(method: string): Promise<void> {
    const latency = this.faults.latencyMs();
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    const decision = this.faults.decide(method);
    if (decision.kind === 'error')
      throw new KubeApiError(500, 'InternalError', 'Internal error occurred: injected fault');
    if (decision.kind === 'throttle') {
      throw new KubeApiError(429, 'TooManyRequests', 'Too many requests, please try again later.', {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
  }

  private async serveResource(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    p: ResourcePath,
  ): Promise<void> {
    const api = this.api;
    const q = url.searchParams;
    const { type, version } = p;
    const namespace = p.namespace ?? '';
    const dryRun = q.getAll('dryRun').includes('All');
    const accept = req.headers.accept;
    const table = wantsTable(accept);
    const includeObject = (q.get('includeObject') as IncludeObject | null) ?? 'Metadata';
    const now = this.options.now;

    if (p.name === undefined) {
      if (method === 'GET') {
        const listOptions = {
          labelSelector: q.get('labelSelector') ?? undefined,
          fieldSelector: q.get('fieldSelector') ?? undefined,
          limit: q.has('limit') ? Number(q.get('limit')) : undefined,
          continue: q.get('continue') ?? undefined,
        };
        if (p.watchPath || q.get('watch') === 'true' || q.get('watch') === '1') {
          serveWatch(
            req,
            res,
            api,
            this.faults,
            {
              type,
              version,
              namespace: p.namespace,
              labelSelector: parseLabelSelector(listOptions.labelSelector),
              fieldSelector: parseFieldSelector(listOptions.fieldSelector),
              resourceVersion: q.get('resourceVersion') ?? undefined,
              allowBookmarks: q.get('allowWatchBookmarks') === 'true',
              sendInitialEvents: q.has('sendInitialEvents') ? q.get('sendInitialEvents') === 'true' : undefined,
              timeoutSeconds: q.has('timeoutSeconds') ? Number(q.get('timeoutSeconds')) : undefined,
              table: table ? { apiVersion: table, includeObject } : undefined,
            },
            this.options.bookmarkIntervalMs,
            now,
          );
          return;
        }
        const exact = q.get('resourceVersionMatch') === 'Exact' ? Number(q.get('resourceVersion')) : undefined;
        if (exact !== undefined && exact < api.store.oldestWatchableRevision) {
          throw new KubeApiError(410, 'Expired', `The resourceVersion for the provided list is too old.`);
        }
        const result = api.list(type, p.namespace, listOptions);
        const items = result.items.map((o) => api.present(type, version, o));
        if (table) {
          sendJson(
            res,
            200,
            toTable(type, version, table, items, result.resourceVersion, includeObject, now(), result.continue),
          );
          return;
        }
        const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
        if (result.continue) {
          metadata.continue = result.continue;
          metadata.remainingItemCount = result.remainingItemCount;
        }
        sendText(res, 200, listJson(type.listKind, apiVersionOf(type.group, version), metadata, items));
        return;
      }
      const body = await readBody(req);
      if (method === 'POST') {
        if (type.plural === 'bindings' && type.group === '') {
          const name = (body as KubeObject | undefined)?.metadata?.name;
          if (!name) throw badRequest('a Binding needs metadata.name (the pod)');
          api.bindPod(namespace, name, body);
          sendJson(res, 201, successStatus(201));
          return;
        }
        if (type.group === 'authorization.k8s.io') {
          // Access reviews are answered, never stored; the one user of the simulator may do everything.
          const review = {
            ...((body as object) ?? {}),
            apiVersion: apiVersionOf(type.group, version),
            kind: type.kind,
          };
          sendJson(res, 201, {
            ...review,
            status: { allowed: true, reason: 'kube-sim authorizes every authenticated request' },
          });
          return;
        }
        sendObject(res, 201, api.create(type, version, namespace, body, { dryRun, ownedBody: true }));
        return;
      }
      if (method === 'DELETE') {
        const deleted = api.deleteCollection(
          type,
          p.namespace,
          { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined },
          deleteOptions(q, body),
        );
        sendJson(res, 200, {
          kind: type.listKind,
          apiVersion: apiVersionOf(type.group, version),
          metadata: { resourceVersion: String(api.store.resourceVersion) },
          items: deleted,
        });
        return;
      }
      throw methodNotAllowed(method);
    }

    const name = p.name;
    const sub = p.subresource;
    if (sub === undefined || (sub === 'status' && type.hasStatus)) {
      const options = { dryRun, subresource: sub === 'status' ? ('status' as const) : undefined, ownedBody: true };
      switch (method) {
        case 'GET': {
          const object = api.present(type, version, api.get(type, namespace, name));
          if (table)
            sendJson(
              res,
              200,
              toTable(type, version, table, [object], object.metadata.resourceVersion ?? '', includeObject, now()),
            );
          else sendObject(res, 200, object);
          return;
        }
        case 'PUT':
          sendObject(res, 200, api.update(type, version, namespace, name, await readBody(req), options));
          return;
        case 'PATCH': {
          const patchType = patchTypeOf(req);
          sendObject(
            res,
            200,
            api.patch(type, version, namespace, name, patchType, await readBody(req, patchType === 'apply'), options),
          );
          return;
        }
        case 'DELETE': {
          if (sub) throw methodNotAllowed(method);
          const result = api.delete(type, namespace, name, deleteOptions(q, await readBody(req)));
          const stillThere = api.tryGet(type, namespace, name) !== undefined && !dryRun;
          sendJson(res, stillThere ? 202 : 200, api.present(type, version, result));
          return;
        }
        default:
          throw methodNotAllowed(method);
      }
    }
    if (sub === 'scale' && type.scale) {
      if (method === 'GET') sendJson(res, 200, api.getScale(type, namespace, name));
      else if (method === 'PUT')
        sendJson(res, 200, api.updateScale(type, version, namespace, name, await readBody(req)));
      else if (method === 'PATCH') {
        const patchType = patchTypeOf(req);
        sendJson(
          res,
          200,
          api.updateScale(
            type,
            version,
            namespace,
            name,
            await readBody(req, patchType === 'apply'),
            patchType === 'json' ? 'json' : 'merge',
          ),
        );
      } else throw methodNotAllowed(method);
      return;
    }
    if (type.group === '' && type.plural === 'pods' && method === 'POST' && (sub === 'binding' || sub === 'eviction')) {
      const body = await readBody(req);
      if (sub === 'binding') api.bindPod(namespace, name, body);
      else api.evictPod(namespace, name, body);
      sendJson(res, 201, successStatus(201));
      return;
    }
    if (type.group === '' && type.plural === 'namespaces' && sub === 'finalize' && method === 'PUT') {
      sendJson(res, 200, api.get(type, '', name));
      return;
    }
    throw new KubeApiError(404, 'NotFound', `the server could not find the requested resource (${type.plural}/${sub})`);
  }
}

function notFoundPath(): never {
  throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
}

function methodNotAllowed(method: string): KubeApiError {
  return new KubeApiError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method})`,
  );
}

function successStatus(code: number): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code };
}

function patchTypeOf(req: IncomingMessage): PatchType {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const type = PATCH_TYPES[contentType];
  if (!type) {
    throw new KubeApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`,
    );
  }
  return type;
}

function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const options: DeleteOptions = body && typeof body === 'object' ? { ...(body as DeleteOptions) } : {};
  if (q.has('gracePeriodSeconds')) options.gracePeriodSeconds = Number(q.get('gracePeriodSeconds'));
  if (q.has('propagationPolicy'))
    options.propagationPolicy = q.get('propagationPolicy') as DeleteOptions['propagationPolicy'];
  if (q.has('orphanDependents')) options.orphanDependents = q.get('orphanDependents') === 'true';
  if (q.has('dryRun')) options.dryRun = q.getAll('dryRun');
  return options;
}

/** The request body, decoded; listeners rather than an async iterator (cheaper per request). */
async function readBody(req: IncomingMessage, yaml = false): Promise<unknown> {
  const text = await new Promise<string>((resolve, reject) => {
    if (req.readableEnded) return resolve(''); // already read: 'end' will not come again
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return; // keep draining, so the 413 can be answered
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        reject(new KubeApiError(413, 'BadRequest', 'Request entity too large: limit is 3145728'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!tooLarge) resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
  if (text.length === 0) return undefined;
  const contentType = (req.headers['content-type'] ?? 'application/json').toLowerCase();
  if (contentType.includes('protobuf') || contentType.includes('cbor')) {
    throw new KubeApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
    );
  }
  try {
    return yaml || contentType.includes('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw badRequest(`the body of the request could not be decoded: ${(e as Error).message}`);
  }
}

/** A stored object: its JSON is computed once and shared with the watches that report it. */
function sendObject(res: ServerResponse, code: number, object: KubeObject): void {
  sendText(res, code, objectJson(object));
}

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  sendText(res, code, JSON.stringify(body), headers);
}

function sendText(res: ServerResponse, code: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export { statusObject };
