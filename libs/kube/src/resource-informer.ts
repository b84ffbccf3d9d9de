/**
 * A list+watch cache of one resource collection, with the habits of client-go's reflector:
 * watch from the listed resourceVersion, follow bookmarks, relist on 410 Gone, restart after
 * errors with exponential backoff and jitter, relist when no event arrives for too long
 * (a watchdog for silently dead connections), and never let a handler's exception end the loop.
 */
import { BackoffPolicy, DEFAULT_BACKOFF, backoffDelayMs, sleep } from './backoff';
import type { ClusterConnection } from './cluster-connection';
import { KubeApiError, toKubeApiError } from './kube-errors';
import { silentLogger, type KubeLogger } from './kube-logger';
import { objectKey, type KubeList, type KubeObject } from './kube-objects';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export type InformerRestartReason = 'gone' | 'error' | 'stale' | 'closed';

/**
 * Counts what informers see; the control plane maps it onto its Prometheus metrics, so this
 * library needs no metrics client. `resource` is a bounded name such as `pods`.
 */
export interface InformerMetricsHook {
  onEvent(resource: string, type: WatchEventType): void;
  onRestart?(resource: string, reason: InformerRestartReason): void;
  onHandlerError?(resource: string): void;
}

export interface InformerHandlers<T extends KubeObject> {
  onAdd?(obj: T): void | Promise<void>;
  onUpdate?(obj: T, previous: T): void | Promise<void>;
  onDelete?(obj: T): void | Promise<void>;
}

export interface InformerOptions {
  /** Bounded metrics/log name, e.g. `pods`. */
  readonly resource: string;
  /** Collection path, see `collectionPath`. */
  readonly path: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Items per list page (the API's `limit`). */
  readonly pageSize?: number;
  /** Ask the server to end each watch after this long (randomised up to 2x, as client-go does). */
  readonly watchTimeoutSeconds?: number;
  /** Relist when the watch has been silent this long (bookmarks count as events). */
  readonly staleAfterMs?: number;
  readonly backoff?: BackoffPolicy;
  readonly metrics?: InformerMetricsHook;
  readonly logger?: KubeLogger;
}

class WatchEnded extends Error {
  constructor(
    readonly reason: InformerRestartReason,
    message: string,
    override readonly cause?: unknown,
    /** Closed before any event and within a second of opening. */
    readonly premature = false,
  ) {
    super(message);
  }
}

export class ResourceInformer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly stopController = new AbortController();
  private resourceVersion: string | undefined;
  private synced = false;
  private running: Promise<void> | undefined;
  private syncWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private readonly logger: KubeLogger;
  private readonly backoff: BackoffPolicy;
  private currentWatch: AbortController | undefined;

  constructor(
    private readonly conn: ClusterConnection,
    private readonly opts: InformerOptions,
  ) {
    this.logger = opts.logger ?? silentLogger;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
  }

  /** Handlers added after start see the objects already cached as adds first. */
  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
    if (this.synced) for (const obj of this.cache.values()) this.dispatch(() => h.onAdd?.(obj));
  }

  /** Starts the loop; resolves after the first complete list (or rejects if stopped first). */
  start(): Promise<void> {
    if (!this.running) this.running = this.run();
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => this.syncWaiters.push({ resolve, reject }));
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    this.currentWatch?.abort();
    for (const w of this.syncWaiters.splice(0))
      w.reject(new Error(`informer ${this.opts.resource} stopped before it synced`));
    await this.running;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion the cache is current to. */
  get lastSyncResourceVersion(): string | undefined {
    return this.resourceVersion;
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  private async run(): Promise<void> {
    let needList = true;
    let failures = 0;
    let quickCloses = 0;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        await this.watchOnce();
        failures = 0;
      } catch (err) {
        if (this.stopped) break;
        const reason = err instanceof WatchEnded ? err.reason : 'error';
        this.opts.metrics?.onRestart?.(this.opts.resource, reason);
        if (reason === 'closed') {
          // The server ended the watch (its timeout, a restart): resume from the last version. One
          // that keeps closing at once is an outage in disguise: back off, but keep the version.
          quickCloses = (err as WatchEnded).premature ? quickCloses + 1 : 0;
          if (quickCloses >= 2) await sleep(backoffDelayMs(this.backoff, quickCloses - 1), this.stopController.signal);
          continue;
        }
        needList = true;
        if (reason === 'gone') {
          this.logger.info({ resource: this.opts.resource }, 'resource version too old (410 Gone); relisting');
          continue;
        }
        failures += 1;
        // A throttled answer's Retry-After is a floor, not a suggestion.
        const retryAfterSeconds = ((err instanceof WatchEnded ? err.cause : err) as KubeApiError | undefined)
          ?.retryAfterSeconds;
        const delay = Math.max(backoffDelayMs(this.backoff, failures), (retryAfterSeconds ?? 0) * 1000);
        this.logger.warn(
          { resource: this.opts.resource, err: String((err as Error)?.message ?? err), reason, delayMs: delay },
          'watch failed; restarting after backoff',
        );
        await sleep(delay, this.stopController.signal);
      }
    }
  }

  private async relist(): Promise<void> {
    const items: T[] = [];
    let resourceVersion: string | undefined;
    let continueToken: string | undefined;
    do {
      let page: KubeList<T>;
      try {
        page = await this.conn.request<KubeList<T>>({
          method: 'GET',
          path: this.opts.path,
          query: {
            labelSelector: this.opts.labelSelector,
            fieldSelector: this.opts.fieldSelector,
            limit: this.opts.pageSize ?? 500,
            continue: continueToken,
          },
        });
      } catch (err) {
        const e = toKubeApiError(err, `list ${this.opts.resource}`);
        if (e.isGone && continueToken !== undefined) {
          // The continue token expired mid-list: start the list again from the top.
          items.length = 0;
          continueToken = undefined;
          continue;
        }
        throw e;
      }
      items.push(...(page.items ?? []));
      resourceVersion = page.metadata?.resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken !== undefined && !this.stopped);
    if (this.stopped) return;

    // Replace the cache, telling handlers only what changed since the last view.
    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj);
      seen.add(key);
      this.apply('ADDED', obj);
    }
    for (const [key, old] of [...this.cache]) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.dispatchAll((h) => h.onDelete?.(old));
      }
    }
    this.resourceVersion = resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w.resolve();
    }
  }

  /** Applies one object to the cache and notifies; an unchanged resourceVersion is not news. */
  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void {
    const key = objectKey(obj);
    const old = this.cache.get(key);
    if (type === 'DELETED') {
      if (!old) return;
      this.cache.delete(key);
      this.dispatchAll((h) => h.onDelete?.(obj));
      return;
    }
    this.cache.set(key, obj);
    if (!old) this.dispatchAll((h) => h.onAdd?.(obj));
    else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion)
      this.dispatchAll((h) => h.onUpdate?.(obj, old));
  }

  private dispatchAll(call: (h: InformerHandlers<T>) => void | Promise<void>): void {
    for (const h of this.handlers) this.dispatch(() => call(h));
  }

  /** A handler that throws or rejects is logged and counted; the loop goes on. */
  private dispatch(call: () => void | Promise<void>): void {
    const fail = (err: unknown) => {
      this.opts.metrics?.onHandlerError?.(this.opts.resource);
      this.logger.error(
        { resource: this.opts.resource, err: String((err as Error)?.stack ?? err) },
        'informer handler failed',
      );
    };
    try {
      const result = call();
      if (result && typeof (result as Promise<void>).catch === 'function') (result as Promise<void>).catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  private watchOnce(): Promise<void> {
    const staleAfterMs = this.opts.staleAfterMs ?? 5 * 60_000;
    const baseTimeout = this.opts.watchTimeoutSeconds ?? 300;
    const timeoutSeconds = Math.round(baseTimeout * (1 + Math.random()));
    // Stopped while the list was in flight: the abort already fired, so no listener would hear it.
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let controller: AbortController | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      let events = 0;
      const openedAt = Date.now();
      const finish = (err?: WatchEnded) => {
        if (settled) return;
        settled = true;
        if (watchdog) clearTimeout(watchdog);
        controller?.abort();
        this.stopController.signal.removeEventListener('abort', onStop);
        if (err) reject(err);
        else resolve();
      };
      const onStop = () => finish();
      const armWatchdog = () => {
        if (watchdog) clearTimeout(watchdog);
        watchdog = setTimeout(
          () => finish(new WatchEnded('stale', `no watch event for ${staleAfterMs} ms`)),
          staleAfterMs,
        );
      };
      this.stopController.signal.addEventListener('abort', onStop, { once: true });
      armWatchdog();
      this.conn.watcher
        .watch(
          this.opts.path,
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds,
            labelSelector: this.opts.labelSelector,
            fieldSelector: this.opts.fieldSelector,
          },
          (type: string, obj: unknown) => {
            if (settled) return;
            events += 1;
            armWatchdog();
            this.opts.metrics?.onEvent(this.opts.resource, type as WatchEventType);
            this.onWatchEvent(type, obj, finish);
          },
          (err: unknown) => {
            if (!err)
              return finish(
                new WatchEnded(
                  'closed',
                  'watch closed by the server',
                  undefined,
                  events === 0 && Date.now() - openedAt < 1000,
                ),
              );
            const e = toKubeApiError(err, `watch ${this.opts.resource}`);
            finish(new WatchEnded(e.isGone ? 'gone' : 'error', e.message, e));
          },
        )
        .then((c) => {
          controller = c;
          this.currentWatch = c;
          if (settled) c.abort();
        })
        .catch((err: unknown) => finish(new WatchEnded('error', String((err as Error)?.message ?? err), err)));
    });
  }

  private onWatchEvent(type: string, obj: unknown, finish: (err?: WatchEnded) => void): void {
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED': {
        const o = obj as T;
        if (!o?.metadata?.name) return;
        this.apply(type, o);
        if (o.metadata.resourceVersion) this.resourceVersion = o.metadata.resourceVersion;
        return;
      }
      case 'BOOKMARK': {
        const rv = (obj as KubeObject)?.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        return;
      }
      case 'ERROR': {
        // The server reports an expired resourceVersion as an ERROR event carrying a 410 Status.
        const status = obj as { code?: number; message?: string; reason?: string };
        const gone = status?.code === 410 || status?.reason === 'Expired' || status?.reason === 'Gone';
        finish(new WatchEnded(gone ? 'gone' : 'error', `watch error event: ${status?.message ?? JSON.stringify(obj)}`));
        return;
      }
      default:
        return;
    }
  }
}

export { KubeApiError };
