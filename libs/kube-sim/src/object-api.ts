import { randomBytes, randomUUID } from 'node:crypto';
import {
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  KubeApiError,
  notFound,
  qualifiedResource,
  type StatusCause,
} from './api-error';
import { getPath, parseJsonPath, setSimplePath, evaluateJsonPath } from './json-path';
import { ObjectStore } from './object-store';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, clone } from './patches';
import { ResourceRegistry } from './resource-registry';
import {
  apiVersionOf,
  storageKey,
  typeKey,
  type JsonObject,
  type KubeObject,
  type ResourceType,
} from './resource-type';
import {
  fromStructuredSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors';

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  subresource?: 'status';
  /** The body was parsed for this request alone (HTTP), so it may be used without a defensive copy. */
  ownedBody?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CRD_KEY = typeKey('apiextensions.k8s.io', 'customresourcedefinitions');
const NAMESPACES = 'namespaces';
const PODS = 'pods';

let lastSecond = -1;
let lastStamp = '';
/** RFC 3339 at second precision, as metav1.Time is serialised (memoised: many objects are written each second). */
export function timestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastStamp = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
  }
  return lastStamp;
}

/** Fields a client may not change through an update; the server owns them. */
const SERVER_OWNED_META = [
  'uid',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'generation',
  'namespace',
  'name',
] as const;

/**
 * The apiserver's object semantics over the store: validation, defaults, resourceVersion preconditions,
 * generation, status subresource rules, patches, finalizers, graceful pod deletion, and garbage collection.
 */
export class ObjectApi {
  private readonly byUid = new Map<string, string>();
  private clusterIpCounter = 1;
  /**
   * How long a terminating namespace keeps its content before the namespace controller deletes it. The real one
   * takes seconds, and `kubectl delete -f` relies on that: it deletes the namespace, then each object in it.
   */
  namespaceCleanupDelayMs = 1000;
  private readonly pending = new Set<NodeJS.Timeout | NodeJS.Immediate>();
  private disposed = false;

  constructor(
    readonly store: ObjectStore,
    readonly registry: ResourceRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  type(group: string, plural: string): ResourceType {
    const t = this.registry.byTypeKey(typeKey(group, plural));
    if (!t)
      throw new KubeApiError(
        404,
        'NotFound',
        `the server could not find the requested resource (${qualifiedResource(plural, group)})`,
      );
    return t;
  }

  /** The object as seen through `version` (CRDs serve one stored object under each of their versions). */
  present(type: ResourceType, version: string, object: KubeObject): KubeObject {
    if (type.sharedStorage) return type.sharedStorage.fromStored(object);
    const apiVersion = apiVersionOf(type.group, version);
    if (object.apiVersion === apiVersion && object.kind === type.kind) return object;
    return { ...object, apiVersion, kind: type.kind };
  }

  get(type: ResourceType, namespace: string, name: string): KubeObject {
    const object = this.store.get(storageKey(type), type.namespaced ? namespace : '', name);
    if (!object) throw notFound(type.plural, type.group, name);
    return object;
  }

  tryGet(type: ResourceType, namespace: string, name: string): KubeObject | undefined {
    return this.store.get(storageKey(type), type.namespaced ? namespace : '', name);
  }

  list(type: ResourceType, namespace: string | undefined, options: ListOptions = {}): ListResult {
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector);
    const resourceVersion = String(this.store.resourceVersion);
    const scope = type.namespaced ? namespace : undefined;
    // An equality on an indexed field (pods by node or scheduler) narrows the list without a scan.
    const indexed = fields.find((f) => !f.negate && this.store.isIndexed(storageKey(type), f.field));
    let all =
      (indexed && this.store.listByField(storageKey(type), indexed.field, indexed.value, scope)) ??
      this.store.list(storageKey(type), scope);
    if (labels.length > 0 || fields.length > 0)
      all = all.filter((o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o));
    let start = 0;
    let listRevision = resourceVersion;
    if (options.continue) {
      let token: { after: string; rv: string };
      try {
        token = JSON.parse(Buffer.from(options.continue, 'base64').toString('utf8')) as { after: string; rv: string };
      } catch {
        throw badRequest('continue key is not valid: illegal base64 data');
      }
      // Pages continue the first page's list; once its version is compacted the list must start again (as with etcd).
      if (Number(token.rv) < this.store.oldestWatchableRevision) {
        throw new KubeApiError(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      listRevision = token.rv;
      start = all.findIndex((o) => objectKey(o) > token.after);
      if (start < 0) start = all.length;
    }
    if (options.limit && options.limit > 0 && start + options.limit < all.length) {
      const items = all.slice(start, start + options.limit);
      const last = items[items.length - 1];
      return {
        items,
        resourceVersion: listRevision,
        continue: Buffer.from(JSON.stringify({ after: objectKey(last), rv: listRevision })).toString('base64'),
        remainingItemCount: all.length - start - items.length,
      };
    }
    return { items: start > 0 ? all.slice(start) : all, resourceVersion: listRevision };
  }

  create(
    type: ResourceType,
    version: string,
    namespace: string,
    body: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const object = this.toStored(type, this.checkBody(type, version, body, options.ownedBody));
    const meta = object.metadata;
    if (type.namespaced) {
      if (meta.namespace && meta.namespace !== namespace)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      meta.namespace = namespace;
    } else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    this.validateName(type, object);
    if (type.namespaced) {
      const ns = this.store.get(NAMESPACES, '', namespace);
      if (!ns) throw notFound('namespaces', '', namespace);
      if (ns.metadata.deletionTimestamp) {
        throw new KubeApiError(
          403,
          'Forbidden',
          `${type.plural} "${meta.name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        );
      }
    }
    const key = storageKey(type);
    if (this.store.get(key, meta.namespace ?? '', meta.name as string))
      throw alreadyExists(type.plural, type.group, meta.name as string);
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp(this.now());
    meta.generation = 1;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (type.crdName && type.hasStatus) delete object.status;
    this.applyDefaults(key, object);
    this.validate(type, version, object);
    if (options.dryRun) return this.present(type, version, object);
    const stored = this.commit(key, object);
    return this.present(type, version, stored);
  }

  update(
    type: ResourceType,
    version: string,
    namespace: string,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const current = this.get(type, namespace, name);
    const object = this.toStored(type, this.checkBody(type, version, body, options.ownedBody));
    if (object.metadata.name && object.metadata.name !== name) {
      throw badRequest(`the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`);
    }
    this.checkResourceVersion(type, current, object.metadata.resourceVersion);
    return this.replace(type, version, current, object, options);
  }

  patch(
    type: ResourceType,
    version: string,
    namespace: string,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const current = this.tryGet(type, namespace, name);
    if (!current) {
      if (patchType === 'apply') {
        const body = (patch ?? {}) as KubeObject;
        body.metadata = { ...(body.metadata ?? {}), name };
        return this.create(type, version, namespace, body, options);
      }
      throw notFound(type.plural, type.group, name);
    }
    const patched = this.toStored(type, this.patchedObject(type, version, current, patchType, patch));
    const wanted =
      patchType === 'json'
        ? patched.metadata?.resourceVersion
        : (patch as { metadata?: { resourceVersion?: string } })?.metadata?.resourceVersion;
    this.checkResourceVersion(type, current, wanted);
    if (patched.metadata?.name !== undefined && patched.metadata.name !== name)
      throw badRequest('the name of the object may not be changed by a patch');
    return this.replace(type, version, current, patched, options);
  }

  private patchedObject(
    type: ResourceType,
    version: string,
    current: KubeObject,
    patchType: PatchType,
    patch: unknown,
  ): KubeObject {
    const base = this.present(type, version, current);
    let out: unknown;
    switch (patchType) {
      case 'merge':
      case 'apply':
        if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
          throw badRequest('a merge patch must be a JSON object');
        out = applyMergePatch(base, patch);
        break;
      case 'json':
        out = applyJsonPatch(base, patch);
        break;
      case 'strategic':
        if (!type.strategicMerge) throw unsupportedPatch();
        if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
          throw badRequest('a strategic merge patch must be a JSON object');
        out = applyStrategicMergePatch(base, patch);
        break;
    }
    if (out === null || typeof out !== 'object' || Array.isArray(out))
      throw badRequest('the patch did not produce an object');
    const result = out as KubeObject;
    if (!result.metadata || typeof result.metadata !== 'object') result.metadata = {};
    return result;
  }

  /** Writes `next` over `current` under the update rules (server-owned metadata, status subresource, generation). */
  private replace(
    type: ResourceType,
    version: string,
    current: KubeObject,
    next: KubeObject,
    options: WriteOptions,
  ): KubeObject {
    const key = storageKey(type);
    let object: KubeObject;
    if (options.subresource === 'status') {
      object = { ...current, status: next.status, metadata: { ...current.metadata } };
      if (next.status === undefined) delete object.status;
    } else {
      object = { ...next, metadata: { ...next.metadata } };
      for (const field of SERVER_OWNED_META) {
        if (current.metadata[field] === undefined) delete object.metadata[field];
        else (object.metadata as JsonObject)[field] = current.metadata[field];
      }
      if (type.hasStatus) {
        if (current.status === undefined) delete object.status;
        else object.status = current.status;
      }
      if (key === NAMESPACES) object.spec = current.spec;
      if (key === PODS) this.keepPodBinding(current, object);
    }
    object.apiVersion = current.apiVersion;
    object.kind = current.kind;
    if (type.crdName && this.registry.schemaFor(type, version)) object.apiVersion = apiVersionOf(type.group, version);
    this.validate(type, version, object);
    if (specOf(object) !== specOf(current)) object.metadata.generation = (current.metadata.generation ?? 0) + 1;
    object.metadata.resourceVersion = current.metadata.resourceVersion;
    if (JSON.stringify(object) === JSON.stringify(current)) return this.present(type, version, current);
    if (options.dryRun) return this.present(type, version, object);
    const stored = this.commit(key, object);
    if (
      stored.metadata.deletionTimestamp &&
      (stored.metadata.finalizers ?? []).length === 0 &&
      !this.waitsForKubelet(key, stored)
    ) {
      this.erase(key, stored);
    }
    return this.present(type, version, stored);
  }

  private toStored(type: ResourceType, object: KubeObject): KubeObject {
    return type.sharedStorage ? type.sharedStorage.toStored(object) : object;
  }

  /** The scheduler's binding is not undone by a client's stale full update of the pod. */
  private keepPodBinding(current: KubeObject, next: KubeObject): void {
    const currentNode = (current.spec as JsonObject | undefined)?.nodeName;
    if (currentNode === undefined) return;
    next.spec = { ...((next.spec as JsonObject) ?? {}), nodeName: currentNode };
  }

  delete(type: ResourceType, namespace: string, name: string, options: DeleteOptions = {}): KubeObject {
    const key = storageKey(type);
    const current = this.get(type, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw conflict(
        type.plural,
        type.group,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        type.plural,
        type.group,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    if (options.dryRun && options.dryRun.length > 0) return current;
    const policy = options.propagationPolicy ?? (options.orphanDependents ? 'Orphan' : 'Background');
    if (policy === 'Orphan') this.orphanDependents(current);
    else if (policy === 'Foreground') this.collectDependents(current, true);
    if (key === NAMESPACES) return this.deleteNamespace(current);

    const finalizers = current.metadata.finalizers ?? [];
    const graceful = key === PODS && this.podNeedsGracefulStop(current, options.gracePeriodSeconds);
    if (current.metadata.deletionTimestamp) {
      // Already terminating: a zero grace period forces the pod out, otherwise nothing changes.
      if (key === PODS && options.gracePeriodSeconds === 0 && finalizers.length === 0) return this.erase(key, current);
      return current;
    }
    if (finalizers.length > 0 || graceful) {
      const grace = graceful ? this.podGracePeriod(current, options.gracePeriodSeconds) : 0;
      const object: KubeObject = {
        ...current,
        metadata: {
          ...current.metadata,
          deletionTimestamp: timestamp(this.now() + grace * 1000),
          deletionGracePeriodSeconds: grace,
        },
      };
      return this.commit(key, object);
    }
    return this.erase(key, current);
  }

  deleteCollection(
    type: ResourceType,
    namespace: string | undefined,
    listOptions: ListOptions,
    options: DeleteOptions,
  ): KubeObject[] {
    const { items } = this.list(type, namespace, listOptions);
    const out: KubeObject[] = [];
    for (const o of items) {
      try {
        out.push(this.delete(type, o.metadata.namespace ?? '', o.metadata.name as string, options));
      } catch (e) {
        if (!(e instanceof KubeApiError && e.code === 404)) throw e;
      }
    }
    return out;
  }

  /** `pods/binding`: assigns a pending pod to a node once; a second binding is a 409 Conflict. */
  bindPod(namespace: string, name: string, binding: unknown): void {
    const pods = this.type('', 'pods');
    const pod = this.get(pods, namespace, name);
    const b = (binding ?? {}) as {
      target?: { name?: string; kind?: string };
      metadata?: { annotations?: Record<string, string> };
    };
    if (!b.target?.name)
      throw invalid('Binding', '', name, [
        { field: 'target.name', message: 'Required value', reason: 'FieldValueRequired' },
      ]);
    const spec = (pod.spec ?? {}) as JsonObject;
    if (pod.metadata.deletionTimestamp)
      throw conflict('pods/binding', '', name, `pod ${name} is being deleted, cannot be assigned to a host`);
    if (spec.nodeName)
      throw conflict('pods/binding', '', name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
    const status = { ...((pod.status ?? {}) as JsonObject) };
    const conditions = ((status.conditions ?? []) as JsonObject[]).filter((c) => c.type !== 'PodScheduled');
    conditions.push({
      type: 'PodScheduled',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: timestamp(this.now()),
    });
    status.conditions = conditions;
    const annotations = { ...(pod.metadata.annotations ?? {}), ...(b.metadata?.annotations ?? {}) };
    const next: KubeObject = {
      ...pod,
      metadata: { ...pod.metadata, annotations },
      spec: { ...spec, nodeName: b.target.name },
      status,
    };
    if (Object.keys(annotations).length === 0) delete next.metadata.annotations;
    this.commit(PODS, next);
  }

  /** `pods/eviction`: deletes the pod unless a PodDisruptionBudget would be violated (429, as the real apiserver). */
  evictPod(namespace: string, name: string, eviction: unknown): void {
    const pods = this.type('', 'pods');
    const pod = this.get(pods, namespace, name);
    const e = (eviction ?? {}) as { deleteOptions?: DeleteOptions };
    const phase = (pod.status as JsonObject | undefined)?.phase;
    if (phase === 'Running' && !pod.metadata.deletionTimestamp) {
      for (const pdb of this.store.list(typeKey('policy', 'poddisruptionbudgets'), namespace, false)) {
        const spec = (pdb.spec ?? {}) as JsonObject;
        const selector = fromStructuredSelector(spec.selector);
        if (selector.length === 0 || !matchesLabels(selector, pod.metadata.labels)) continue;
        const covered = this.store
          .list(PODS, namespace, false)
          .filter((p) => matchesLabels(selector, p.metadata.labels) && !p.metadata.deletionTimestamp);
        const healthy = covered.filter(isPodReady).length;
        const desired = desiredHealthy(spec, covered.length);
        if (healthy - 1 < desired) {
          throw new KubeApiError(
            429,
            'TooManyRequests',
            "Cannot evict pod as it would violate the pod's disruption budget.",
            {
              causes: [
                {
                  reason: 'DisruptionBudget',
                  message: `The disruption budget ${String(pdb.metadata.name)} needs ${desired} healthy pods and has ${healthy} currently`,
                },
              ],
            },
          );
        }
      }
    }
    this.delete(pods, namespace, name, e.deleteOptions ?? {});
  }

  getScale(type: ResourceType, namespace: string, name: string): KubeObject {
    if (!type.scale)
      throw new KubeApiError(
        404,
        'NotFound',
        `the server could not find the requested resource (${type.plural}/scale)`,
      );
    return scaleOf(type, this.get(type, namespace, name));
  }

  updateScale(
    type: ResourceType,
    version: string,
    namespace: string,
    name: string,
    body: unknown,
    patchType?: PatchType,
  ): KubeObject {
    const mapping = type.scale;
    if (!mapping)
      throw new KubeApiError(
        404,
        'NotFound',
        `the server could not find the requested resource (${type.plural}/scale)`,
      );
    const current = this.get(type, namespace, name);
    let scale = body as KubeObject;
    if (patchType) {
      const base = scaleOf(type, current);
      scale = (patchType === 'json' ? applyJsonPatch(base, body) : applyMergePatch(base, body)) as KubeObject;
    }
    const replicas = (scale?.spec as JsonObject | undefined)?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('Scale', 'autoscaling', name, [
        {
          field: 'spec.replicas',
          message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`,
          reason: 'FieldValueInvalid',
        },
      ]);
    }
    this.checkResourceVersion(type, current, patchType ? undefined : scale.metadata?.resourceVersion);
    const next = clone(current) as KubeObject;
    setSimplePath(next, mapping.specReplicasPath, replicas);
    const stored = this.replace(type, version, current, next, {});
    return scaleOf(type, this.get(type, namespace, name) ?? stored);
  }

  /** Every write goes through here so the uid index stays true. */
  commit(key: string, object: KubeObject): KubeObject {
    const stored = this.store.put(key, object);
    this.byUid.set(
      stored.metadata.uid as string,
      `${key}\u0000${stored.metadata.namespace ?? ''}\u0000${stored.metadata.name as string}`,
    );
    if (key === CRD_KEY) this.registry.serveCrd(stored);
    return stored;
  }

  /** Removes an object now and lets the garbage collector and namespace/CRD cleanup follow. */
  erase(key: string, object: KubeObject): KubeObject {
    const removed = this.store.remove(key, object.metadata.namespace ?? '', object.metadata.name as string);
    if (!removed) return object;
    this.byUid.delete(removed.metadata.uid as string);
    if (key === CRD_KEY) {
      const served = this.registry.stopServingCrd(removed);
      if (served) this.store.dropType(served);
    }
    // Background propagation: dependents go after the owner, as the garbage collector does it asynchronously.
    this.later(0, () => this.collectDependents(removed, false));
    const ns = removed.metadata.namespace;
    if (ns) this.finishNamespaceIfEmpty(ns);
    return removed;
  }

  /** Stops the background controllers (garbage collector, namespace cleanup) when the server closes. */
  dispose(): void {
    this.disposed = true;
    for (const t of this.pending) {
      clearTimeout(t as NodeJS.Timeout);
      clearImmediate(t as NodeJS.Immediate);
    }
    this.pending.clear();
  }

  private later(delayMs: number, action: () => void): void {
    if (this.disposed) return;
    const run = (): void => {
      this.pending.delete(handle);
      if (!this.disposed) action();
    };
    const handle = delayMs > 0 ? setTimeout(run, delayMs) : setImmediate(run);
    this.pending.add(handle);
  }

  existsUid(uid: string): boolean {
    return this.byUid.has(uid);
  }

  private collectDependents(owner: KubeObject, foreground: boolean): void {
    const uid = owner.metadata.uid as string;
    for (const [key, namespace, name] of this.store.dependentsOf(uid)) {
      const dependent = this.store.get(key, namespace, name);
      const type = this.registry.byTypeKey(key);
      if (!dependent || !type) continue;
      const refs = dependent.metadata.ownerReferences ?? [];
      const others = refs.filter((r) => r.uid !== uid && this.byUid.has(r.uid));
      try {
        if (others.length > 0) {
          this.commit(key, {
            ...dependent,
            metadata: { ...dependent.metadata, ownerReferences: refs.filter((r) => r.uid !== uid) },
          });
        } else if (!dependent.metadata.deletionTimestamp || foreground) {
          this.delete(type, namespace, name, { propagationPolicy: foreground ? 'Foreground' : 'Background' });
        }
      } catch (e) {
        if (!(e instanceof KubeApiError && e.code === 404)) throw e;
      }
    }
  }

  private orphanDependents(owner: KubeObject): void {
    const uid = owner.metadata.uid as string;
    for (const [key, namespace, name] of this.store.dependentsOf(uid)) {
      const dependent = this.store.get(key, namespace, name);
      if (!dependent) continue;
      const refs = (dependent.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      const metadata: KubeObject['metadata'] = { ...dependent.metadata, ownerReferences: refs };
      if (refs.length === 0) delete metadata.ownerReferences;
      this.commit(key, { ...dependent, metadata });
    }
  }

  private deleteNamespace(ns: KubeObject): KubeObject {
    if (ns.metadata.deletionTimestamp) return ns;
    const terminating: KubeObject = {
      ...ns,
      metadata: { ...ns.metadata, deletionTimestamp: timestamp(this.now()), deletionGracePeriodSeconds: 0 },
      status: { ...((ns.status as JsonObject) ?? {}), phase: 'Terminating' },
    };
    const stored = this.commit(NAMESPACES, terminating);
    const name = ns.metadata.name as string;
    this.later(this.namespaceCleanupDelayMs, () => {
      for (const type of this.registry.all()) {
        if (!type.namespaced) continue;
        for (const o of this.store.list(storageKey(type), name, false)) {
          try {
            this.delete(type, name, o.metadata.name as string, { gracePeriodSeconds: 0 });
          } catch (e) {
            if (!(e instanceof KubeApiError && e.code === 404)) throw e;
          }
        }
      }
      this.finishNamespaceIfEmpty(name);
    });
    return stored;
  }

  private finishNamespaceIfEmpty(name: string): void {
    const ns = this.store.get(NAMESPACES, '', name);
    if (!ns?.metadata.deletionTimestamp) return;
    for (const type of this.registry.all()) {
      if (type.namespaced && this.store.list(storageKey(type), name, false).length > 0) return;
    }
    this.erase(NAMESPACES, ns);
  }

  private podNeedsGracefulStop(pod: KubeObject, requested: number | undefined): boolean {
    const spec = (pod.spec ?? {}) as JsonObject;
    const phase = (pod.status as JsonObject | undefined)?.phase;
    if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return false;
    return this.podGracePeriod(pod, requested) > 0;
  }

  private podGracePeriod(pod: KubeObject, requested: number | undefined): number {
    if (requested !== undefined && requested >= 0) return requested;
    const fromSpec = (pod.spec as JsonObject | undefined)?.terminationGracePeriodSeconds;
    return typeof fromSpec === 'number' ? fromSpec : 30;
  }

  /** A pod on a node with a grace period is removed by the kubelet, not by the last finalizer update. */
  private waitsForKubelet(key: string, object: KubeObject): boolean {
    return (
      key === PODS &&
      (object.metadata.deletionGracePeriodSeconds ?? 0) > 0 &&
      Boolean((object.spec as JsonObject | undefined)?.nodeName)
    );
  }

  private checkResourceVersion(type: ResourceType, current: KubeObject, wanted: string | undefined): void {
    if (wanted && wanted !== current.metadata.resourceVersion) {
      throw conflict(
        type.plural,
        type.group,
        current.metadata.name as string,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
  }

  private checkBody(type: ResourceType, version: string, body: unknown, owned = false): KubeObject {
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw badRequest(`the body of the request must be a ${type.kind} object`);
    const object = (owned ? body : clone(body)) as KubeObject;
    if (object.kind !== undefined && object.kind !== type.kind) {
      throw badRequest(`the kind in the data (${String(object.kind)}) does not match the expected kind (${type.kind})`);
    }
    const expected = apiVersionOf(type.group, version);
    if (object.apiVersion !== undefined && object.apiVersion !== expected) {
      throw badRequest(
        `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${expected})`,
      );
    }
    object.apiVersion = expected;
    object.kind = type.kind;
    if (object.metadata === undefined || object.metadata === null) object.metadata = {};
    if (typeof object.metadata !== 'object' || Array.isArray(object.metadata))
      throw badRequest('metadata must be an object');
    return object;
  }

  private validateName(type: ResourceType, object: KubeObject): void {
    const name = object.metadata.name;
    const causes: StatusCause[] = [];
    if (!name)
      causes.push({
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
        reason: 'FieldValueRequired',
      });
    else if (type.plural === 'namespaces' && !DNS_LABEL.test(name)) {
      causes.push({
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
        reason: 'FieldValueInvalid',
      });
    } else if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
      causes.push({
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
        reason: 'FieldValueInvalid',
      });
    }
    if (causes.length > 0) throw invalid(type.kind, type.group, name ?? '', causes);
  }

  private validate(type: ResourceType, version: string, object: KubeObject): void {
    const causes: StatusCause[] = [];
    const meta = object.metadata;
    for (const [field, value] of [
      ['labels', meta.labels],
      ['annotations', meta.annotations],
    ] as const) {
      if (value === undefined || value === null) continue;
      if (typeof value !== 'object' || Array.isArray(value))
        causes.push({
          field: `metadata.${field}`,
          message: 'Invalid value: must be a map of strings',
          reason: 'FieldValueInvalid',
        });
      else
        for (const [k, v] of Object.entries(value)) {
          if (typeof v !== 'string')
            causes.push({
              field: `metadata.${field}`,
              message: `Invalid value: ${JSON.stringify(v)}: the value of "${k}" must be a string`,
              reason: 'FieldValueInvalid',
            });
        }
    }
    if (type.crdName) {
      const schema = this.registry.schemaFor(type, version);
      if (schema) causes.push(...schema.validate(object));
    } else if (typeKey(type.group, type.plural) === CRD_KEY) {
      this.registry.validateCrd(object);
    } else if (type.plural === 'pods' && !type.group) {
      const containers = (object.spec as JsonObject | undefined)?.containers;
      if (!Array.isArray(containers) || containers.length === 0)
        causes.push({ field: 'spec.containers', message: 'Required value', reason: 'FieldValueRequired' });
      else
        containers.forEach((c: JsonObject, i) => {
          if (!c?.name)
            causes.push({
              field: `spec.containers[${i}].name`,
              message: 'Required value',
              reason: 'FieldValueRequired',
            });
          if (!c?.image)
            causes.push({
              field: `spec.containers[${i}].image`,
              message: 'Required value',
              reason: 'FieldValueRequired',
            });
        });
    }
    if (causes.length > 0) throw invalid(type.kind, type.group, meta.name ?? '', causes);
  }

  private applyDefaults(key: string, object: KubeObject): void {
    const spec = (object.spec ?? {}) as JsonObject;
    switch (key) {
      case NAMESPACES:
        object.metadata.labels = {
          ...(object.metadata.labels ?? {}),
          'kubernetes.io/metadata.name': object.metadata.name as string,
        };
        object.spec = { finalizers: ['kubernetes'], ...spec };
        object.status = { phase: 'Active' };
        break;
      case PODS: {
        const priorityClass =
          typeof spec.priorityClassName === 'string'
            ? this.store.get(typeKey('scheduling.k8s.io', 'priorityclasses'), '', spec.priorityClassName)
            : undefined;
        object.spec = {
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          schedulerName: 'default-scheduler',
          enableServiceLinks: true,
          priority: typeof priorityClass?.value === 'number' ? priorityClass.value : 0,
          ...spec,
        };
        object.spec = defaultPodSpec(object.spec as JsonObject);
        object.status = { phase: 'Pending', qosClass: qosClass(spec) };
        break;
      }
      case 'services': {
        if (spec.type !== 'ExternalName' && spec.clusterIP === undefined) {
          const n = this.clusterIpCounter++;
          spec.clusterIP = `10.96.${(n >> 8) & 255}.${n & 255}`;
          spec.clusterIPs = [spec.clusterIP];
        }
        spec.type = spec.type ?? 'ClusterIP';
        spec.sessionAffinity = spec.sessionAffinity ?? 'None';
        if (Array.isArray(spec.ports))
          spec.ports = (spec.ports as JsonObject[]).map((p) => ({ protocol: 'TCP', targetPort: p.port, ...p }));
        object.spec = spec;
        object.status = object.status ?? { loadBalancer: {} };
        break;
      }
      case 'deployments.apps':
      case 'statefulsets.apps':
      case 'replicasets.apps':
        object.spec = { replicas: 1, ...spec };
        defaultTemplate(object.spec as JsonObject);
        object.status = {};
        break;
      case 'daemonsets.apps':
      case 'jobs.batch':
        defaultTemplate(spec);
        break;
      case CRD_KEY: {
        const crdSpec = spec as { names?: JsonObject; versions?: { name: string; storage?: boolean }[] };
        object.status = {
          conditions: [
            {
              type: 'NamesAccepted',
              status: 'True',
              reason: 'NoConflicts',
              message: 'no conflicts found',
              lastTransitionTime: timestamp(this.now()),
            },
            {
              type: 'Established',
              status: 'True',
              reason: 'InitialNamesAccepted',
              message: 'the initial names have been accepted',
              lastTransitionTime: timestamp(this.now()),
            },
          ],
          acceptedNames: crdSpec.names ?? {},
          storedVersions: (crdSpec.versions ?? []).filter((v) => v.storage).map((v) => v.name),
        };
        break;
      }
    }
  }
}

/** The container defaults `kubectl describe` shows (port protocol, pull policy), as the apiserver's defaulting sets them. */
function defaultPodSpec(spec: JsonObject): JsonObject {
  const containers = (list: unknown): unknown =>
    Array.isArray(list)
      ? list.map((c: JsonObject) => ({
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy:
            typeof c.image === 'string' && (c.image.endsWith(':latest') || !c.image.includes(':'))
              ? 'Always'
              : 'IfNotPresent',
          ...c,
          ...(Array.isArray(c.ports)
            ? { ports: (c.ports as JsonObject[]).map((p) => ({ protocol: 'TCP', ...p })) }
            : {}),
        }))
      : list;
  const out: JsonObject = { ...spec, containers: containers(spec.containers) };
  if (spec.initContainers) out.initContainers = containers(spec.initContainers);
  return out;
}

function defaultTemplate(spec: JsonObject): void {
  const template = spec.template as JsonObject | undefined;
  if (template && typeof template === 'object' && template.spec && typeof template.spec === 'object') {
    spec.template = { ...template, spec: defaultPodSpec(template.spec as JsonObject) };
  }
}

function objectKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}\u0000${o.metadata.name as string}`;
}

/** Everything but metadata and status: a change there is a new generation. */
function specOf(o: KubeObject): string {
  const rest: JsonObject = { ...o };
  delete rest.metadata;
  delete rest.status;
  delete rest.apiVersion;
  delete rest.kind;
  return JSON.stringify(rest);
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const bytes = randomBytes(5);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

function unsupportedPatch(): KubeApiError {
  return new KubeApiError(
    415,
    'UnsupportedMediaType',
    'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
  );
}

export function isPodReady(pod: KubeObject): boolean {
  const status = (pod.status ?? {}) as { phase?: string; conditions?: { type: string; status: string }[] };
  return status.phase === 'Running' && (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function desiredHealthy(spec: JsonObject, expected: number): number {
  const resolve = (v: unknown, roundUp: boolean): number => {
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && v.endsWith('%')) {
      const exact = (Number(v.slice(0, -1)) / 100) * expected;
      return roundUp ? Math.ceil(exact) : Math.floor(exact);
    }
    return Number(v) || 0;
  };
  if (spec.minAvailable !== undefined) return resolve(spec.minAvailable, true);
  if (spec.maxUnavailable !== undefined) return Math.max(0, expected - resolve(spec.maxUnavailable, true));
  return 0;
}

function qosClass(spec: JsonObject): string {
  const containers = (Array.isArray(spec.containers) ? spec.containers : []) as {
    resources?: { requests?: JsonObject; limits?: JsonObject };
  }[];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    if (Object.keys(requests).length > 0 || Object.keys(limits).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      if (limits[r] === undefined || (requests[r] !== undefined && requests[r] !== limits[r])) guaranteed = false;
    }
  }
  return !any ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
}

export function scaleOf(type: ResourceType, object: KubeObject): KubeObject {
  const mapping = type.scale!;
  const replicas = getPath(object, simplePath(mapping.specReplicasPath));
  const statusReplicas = getPath(object, simplePath(mapping.statusReplicasPath));
  const status: JsonObject = { replicas: typeof statusReplicas === 'number' ? statusReplicas : 0 };
  if (mapping.labelSelectorPath) {
    const selector = evaluateJsonPath(object, mapping.labelSelectorPath)[0];
    if (typeof selector === 'string') status.selector = selector;
  }
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
      creationTimestamp: object.metadata.creationTimestamp,
    },
    spec: { replicas: typeof replicas === 'number' ? replicas : 0 },
    status,
  };
}

function simplePath(expression: string): string[] {
  return parseJsonPath(expression).map((s) => ('field' in s ? s.field : ''));
}
