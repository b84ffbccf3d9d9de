import type { IncomingMessage, ServerResponse } from 'node:http';
import { KubeApiError, badRequest } from './api-error';
import type { FaultInjector } from './fault-injector';
import type { ObjectApi } from './object-api';
import type { StoreEvent, WatchEventType } from './object-store';
import { apiVersionOf, storageKey, type KubeObject, type ResourceType } from './resource-type';
import { matchesFields, matchesLabels, type FieldSelector, type LabelSelector } from './selectors';
import { objectJson } from './object-json';
import { toTable, type IncludeObject } from './table';

export interface WatchRequest {
  type: ResourceType;
  version: string;
  namespace?: string;
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
  resourceVersion?: string;
  allowBookmarks: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
  table?: { apiVersion: string; includeObject: IncludeObject };
}

/**
 * One watch: JSON lines over a chunked response, from a resourceVersion (or with the current state as ADDED first),
 * BOOKMARKs on request, an ERROR event with a 410 Status when the version was compacted, and the selectors applied
 * to the old and new object so an object leaving the selector is seen as DELETED.
 */
export function serveWatch(
  req: IncomingMessage,
  res: ServerResponse,
  api: ObjectApi,
  faults: FaultInjector,
  w: WatchRequest,
  bookmarkIntervalMs: number,
  now: () => number,
): void {
  const key = storageKey(w.type);
  let fromRevision: number | undefined;
  if (w.resourceVersion !== undefined && w.resourceVersion !== '' && w.resourceVersion !== '0') {
    fromRevision = Number(w.resourceVersion);
    if (!Number.isInteger(fromRevision) || fromRevision < 0)
      throw badRequest(`invalid resource version: ${w.resourceVersion}`);
  }
  const matches = (o: KubeObject | undefined): boolean =>
    o !== undefined &&
    (w.namespace === undefined || !w.type.namespaced || o.metadata.namespace === w.namespace) &&
    matchesLabels(w.labelSelector, o.metadata.labels) &&
    matchesFields(w.fieldSelector, o);

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  let open = true;
  const cleanups: (() => void)[] = [];
  // Events of one turn of the event loop go out in one write (one chunk, one syscall) instead of one each.
  let pending: string[] = [];
  let flushScheduled: NodeJS.Immediate | undefined;
  const flush = (): void => {
    flushScheduled = undefined;
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0] : pending.join('');
    pending = [];
    if (open) res.write(text);
  };
  const finish = (destroy: boolean): void => {
    if (!open) return;
    if (flushScheduled) clearImmediate(flushScheduled);
    if (!destroy) flush();
    open = false;
    for (const c of cleanups) c();
    if (destroy) res.destroy();
    else res.end();
  };
  res.on('close', () => finish(false));
  req.on('close', () => finish(false));

  const objectFor = (o: KubeObject): string => {
    const shown = api.present(w.type, w.version, o);
    if (!w.table) return objectJson(shown);
    return JSON.stringify(
      toTable(
        w.type,
        w.version,
        w.table.apiVersion,
        [shown],
        o.metadata.resourceVersion ?? '',
        w.table.includeObject,
        now(),
      ),
    );
  };
  /** `object` is already JSON text. */
  const writeRaw = (type: WatchEventType | 'BOOKMARK' | 'ERROR', object: string): void => {
    if (!open) return;
    pending.push(`{"type":"${type}","object":${object}}\n`);
    flushScheduled ??= setImmediate(flush);
  };
  const write = (type: WatchEventType | 'BOOKMARK' | 'ERROR', object: unknown): void =>
    writeRaw(type, JSON.stringify(object));
  const bookmark = (annotations?: Record<string, string>): void => {
    const metadata: Record<string, unknown> = { resourceVersion: String(api.store.resourceVersion) };
    if (annotations) metadata.annotations = annotations;
    write('BOOKMARK', { kind: w.type.kind, apiVersion: apiVersionOf(w.type.group, w.version), metadata });
  };
  const deliver = (e: StoreEvent): void => {
    const now = e.type !== 'DELETED' && matches(e.object);
    const before = e.type !== 'ADDED' && matches(e.previous);
    if (e.type === 'ADDED' && now) writeRaw('ADDED', objectFor(e.object));
    else if (e.type === 'DELETED' && before) writeRaw('DELETED', objectFor(e.object));
    else if (e.type === 'MODIFIED') {
      if (now && before) writeRaw('MODIFIED', objectFor(e.object));
      else if (now) writeRaw('ADDED', objectFor(e.object));
      else if (before) writeRaw('DELETED', objectFor(e.object));
    }
  };

  let backlog: StoreEvent[] = [];
  if (fromRevision !== undefined) {
    try {
      backlog = api.store.changesSince(key, fromRevision);
    } catch (e) {
      if (e instanceof KubeApiError && e.code === 410) {
        write('ERROR', e.toStatus());
        finish(false);
        return;
      }
      throw e;
    }
  }
  cleanups.push(api.store.subscribe(key, deliver));
  if (fromRevision === undefined && w.sendInitialEvents !== false) {
    for (const o of api.store.list(key, w.type.namespaced ? w.namespace : undefined))
      if (matches(o)) writeRaw('ADDED', objectFor(o));
    if (w.sendInitialEvents && w.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    for (const e of backlog) deliver(e);
  }

  if (w.allowBookmarks) {
    const timer = setInterval(() => bookmark(), bookmarkIntervalMs);
    cleanups.push(() => clearInterval(timer));
  }
  if (w.timeoutSeconds !== undefined && w.timeoutSeconds > 0) {
    const timer = setTimeout(() => {
      if (w.allowBookmarks) bookmark();
      finish(false);
    }, w.timeoutSeconds * 1000);
    cleanups.push(() => clearTimeout(timer));
  }
  const lifetime = faults.watchLifetimeMs();
  if (lifetime !== undefined) {
    const timer = setTimeout(() => {
      faults.injected.droppedWatches++;
      finish(true);
    }, lifetime);
    cleanups.push(() => clearTimeout(timer));
  }
  cleanups.push(faults.onDrop((abrupt) => finish(abrupt)));
}
