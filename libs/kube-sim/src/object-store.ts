import { expired } from './api-error';
import type { KubeObject } from './resource-type';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  resourceVersion: number;
  type: WatchEventType;
  typeKey: string;
  object: KubeObject;
  /** The object before this change (MODIFIED, DELETED), so watchers can tell when it left their selector. */
  previous?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

interface TypeBucket {
  byNamespace: Map<string, Map<string, KubeObject>>;
  size: number;
}

const ownerIndexKey = (typeKey: string, namespace: string, name: string): string =>
  `${typeKey}\u0000${namespace}\u0000${name}`;

/** Fields kept in an index per type, as the apiserver's watch cache indexes pods by node: selector lists by them need no scan. */
const INDEXED_FIELDS: Record<string, readonly string[]> = { pods: ['spec.nodeName', 'spec.schedulerName'] };

/** A field's value as field selectors compare it: unset is ''. */
function fieldValue(object: KubeObject, field: string): string {
  let value: unknown = object;
  for (const part of field.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  return value === undefined || value === null ? '' : String(value);
}

/**
 * In-memory storage of every object, one global resourceVersion counter (as etcd's revision), and a bounded
 * history of changes so watches can resume from a version until it is compacted away (then 410 Gone).
 * Stored objects are never mutated in place: a write replaces the object, so readers may serialise them directly.
 */
export class ObjectStore {
  private revision = 0;
  private readonly buckets = new Map<string, TypeBucket>();
  private readonly history: StoreEvent[] = [];
  private historyStart = 0;
  /** Highest revision dropped from the history; a watch from below it cannot be served. */
  private compactedRevision = 0;
  private readonly listeners = new Map<string, Set<StoreListener>>();
  private readonly anyListeners = new Set<StoreListener>();
  /** owner uid -> dependents, for garbage collection. */
  private readonly dependents = new Map<string, Set<string>>();
  /** typeKey -> field -> value -> objects (by namespace/name key), for INDEXED_FIELDS. */
  private readonly fieldIndex = new Map<string, Map<string, Map<string, Map<string, KubeObject>>>>();

  constructor(private readonly historyLimit = 50_000) {}

  get resourceVersion(): number {
    return this.revision;
  }

  get oldestWatchableRevision(): number {
    return this.compactedRevision;
  }

  nextRevision(): number {
    return ++this.revision;
  }

  get(typeKey: string, namespace: string, name: string): KubeObject | undefined {
    return this.buckets.get(typeKey)?.byNamespace.get(namespace)?.get(name);
  }

  count(typeKey: string): number {
    return this.buckets.get(typeKey)?.size ?? 0;
  }

  /** Objects of a type, in one namespace or all (namespace undefined), in namespace/name order as the apiserver lists them. */
  list(typeKey: string, namespace?: string, sorted = true): KubeObject[] {
    const bucket = this.buckets.get(typeKey);
    if (!bucket) return [];
    const out: KubeObject[] = [];
    if (namespace !== undefined) {
      const objects = bucket.byNamespace.get(namespace);
      if (objects) for (const o of objects.values()) out.push(o);
    } else {
      for (const objects of bucket.byNamespace.values()) for (const o of objects.values()) out.push(o);
    }
    if (sorted) out.sort(compareByKey);
    return out;
  }

  /** Stores a new or changed object (its metadata.resourceVersion is set here) and tells the watchers. */
  put(typeKey: string, object: KubeObject): KubeObject {
    const namespace = object.metadata.namespace ?? '';
    const name = object.metadata.name as string;
    let bucket = this.buckets.get(typeKey);
    if (!bucket) {
      bucket = { byNamespace: new Map(), size: 0 };
      this.buckets.set(typeKey, bucket);
    }
    let objects = bucket.byNamespace.get(namespace);
    if (!objects) {
      objects = new Map();
      bucket.byNamespace.set(namespace, objects);
    }
    const previous = objects.get(name);
    const revision = this.nextRevision();
    object.metadata.resourceVersion = String(revision);
    objects.set(name, object);
    if (!previous) bucket.size++;
    this.indexOwners(typeKey, previous, object);
    this.indexFields(typeKey, previous, object);
    this.emit({ resourceVersion: revision, type: previous ? 'MODIFIED' : 'ADDED', typeKey, object, previous });
    return object;
  }

  remove(typeKey: string, namespace: string, name: string): KubeObject | undefined {
    const bucket = this.buckets.get(typeKey);
    const objects = bucket?.byNamespace.get(namespace);
    const previous = objects?.get(name);
    if (!bucket || !objects || !previous) return undefined;
    objects.delete(name);
    bucket.size--;
    if (objects.size === 0) bucket.byNamespace.delete(namespace);
    this.indexOwners(typeKey, previous, undefined);
    this.indexFields(typeKey, previous, undefined);
    const revision = this.nextRevision();
    // The apiserver reports a deletion with the revision of the delete itself.
    const object: KubeObject = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(revision) } };
    this.emit({ resourceVersion: revision, type: 'DELETED', typeKey, object, previous });
    return object;
  }

  /**
   * Objects whose indexed `field` equals `value`, in one namespace or all, in list order;
   * undefined when the field is not indexed for the type (then list and filter).
   */
  listByField(typeKey: string, field: string, value: string, namespace?: string): KubeObject[] | undefined {
    if (!this.isIndexed(typeKey, field)) return undefined;
    const matching = this.fieldIndex.get(typeKey)?.get(field)?.get(value);
    const out: KubeObject[] = [];
    if (matching)
      for (const o of matching.values()) if (namespace === undefined || o.metadata.namespace === namespace) out.push(o);
    return out.sort(compareByKey);
  }

  isIndexed(typeKey: string, field: string): boolean {
    return INDEXED_FIELDS[typeKey]?.includes(field) ?? false;
  }

  /** Drops a whole type (a deleted CRD), each object reported as deleted. */
  dropType(typeKey: string): void {
    for (const o of this.list(typeKey, undefined, false))
      this.remove(typeKey, o.metadata.namespace ?? '', o.metadata.name as string);
    this.buckets.delete(typeKey);
  }

  /** Dependents of an owner uid as [typeKey, namespace, name]. */
  dependentsOf(ownerUid: string): [string, string, string][] {
    const set = this.dependents.get(ownerUid);
    if (!set) return [];
    return [...set].map((k) => k.split('\u0000') as [string, string, string]);
  }

  /** Changes after `fromRevision` for a type; throws 410 Expired when some of them were compacted away. */
  changesSince(typeKey: string | undefined, fromRevision: number): StoreEvent[] {
    if (fromRevision < this.compactedRevision) {
      throw expired(`too old resource version: ${fromRevision} (${this.compactedRevision + 1})`);
    }
    const out: StoreEvent[] = [];
    // History is ordered by revision: binary search for the first event after fromRevision.
    let lo = this.historyStart;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.history[mid].resourceVersion <= fromRevision) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.history.length; i++) {
      const e = this.history[i];
      if (typeKey === undefined || e.typeKey === typeKey) out.push(e);
    }
    return out;
  }

  /** Forgets history up to the latest revision, as an etcd compaction does; watches from older versions then get 410. */
  compact(): void {
    this.compactedRevision = this.revision;
    this.history.length = 0;
    this.historyStart = 0;
  }

  subscribe(typeKey: string | undefined, listener: StoreListener): () => void {
    if (typeKey === undefined) {
      this.anyListeners.add(listener);
      return () => this.anyListeners.delete(listener);
    }
    let set = this.listeners.get(typeKey);
    if (!set) {
      set = new Set();
      this.listeners.set(typeKey, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length - this.historyStart > this.historyLimit) {
      const dropped = this.history[this.historyStart];
      this.compactedRevision = dropped.resourceVersion;
      this.historyStart++;
      // Shift the array only now and then, so appends stay amortised O(1).
      if (this.historyStart > this.historyLimit) {
        this.history.splice(0, this.historyStart);
        this.historyStart = 0;
      }
    }
    for (const l of this.anyListeners) l(event);
    const set = this.listeners.get(event.typeKey);
    if (set) for (const l of [...set]) l(event);
  }

  private indexFields(typeKey: string, previous: KubeObject | undefined, next: KubeObject | undefined): void {
    const fields = INDEXED_FIELDS[typeKey];
    if (!fields) return;
    let byField = this.fieldIndex.get(typeKey);
    if (!byField) this.fieldIndex.set(typeKey, (byField = new Map()));
    const source = (next ?? previous) as KubeObject;
    const key = `${source.metadata.namespace ?? ''}\u0000${source.metadata.name as string}`;
    for (const field of fields) {
      let byValue = byField.get(field);
      if (!byValue) byField.set(field, (byValue = new Map()));
      if (previous) {
        const old = fieldValue(previous, field);
        const set = byValue.get(old);
        set?.delete(key);
        if (set?.size === 0) byValue.delete(old);
      }
      if (next) {
        const value = fieldValue(next, field);
        let set = byValue.get(value);
        if (!set) byValue.set(value, (set = new Map()));
        set.set(key, next);
      }
    }
  }

  private indexOwners(typeKey: string, previous: KubeObject | undefined, next: KubeObject | undefined): void {
    const ref = (o: KubeObject | undefined): string[] =>
      (o?.metadata.ownerReferences ?? []).map((r) => r.uid).filter(Boolean);
    const before = ref(previous);
    const after = ref(next);
    if (before.length === 0 && after.length === 0) return;
    const source = (next ?? previous) as KubeObject;
    const key = ownerIndexKey(typeKey, source.metadata.namespace ?? '', source.metadata.name as string);
    for (const uid of before) {
      if (after.includes(uid)) continue;
      const set = this.dependents.get(uid);
      set?.delete(key);
      if (set && set.size === 0) this.dependents.delete(uid);
    }
    for (const uid of after) {
      let set = this.dependents.get(uid);
      if (!set) {
        set = new Set();
        this.dependents.set(uid, set);
      }
      set.add(key);
    }
  }
}

function compareByKey(a: KubeObject, b: KubeObject): number {
  const na = a.metadata.namespace ?? '';
  const nb = b.metadata.namespace ?? '';
  if (na !== nb) return na < nb ? -1 : 1;
  const ma = a.metadata.name as string;
  const mb = b.metadata.name as string;
  return ma < mb ? -1 : ma > mb ? 1 : 0;
}
