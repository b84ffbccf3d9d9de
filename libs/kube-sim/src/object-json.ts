import type { KubeObject } from './resource-type';

/**
 * Stored objects are never mutated, so each one's JSON is computed once and reused by every list and every
 * watcher (a 20,000-pod list or a fan-out to many informers then costs string joins, not serialisation).
 */
const cache = new WeakMap<KubeObject, string>();

export function objectJson(object: KubeObject): string {
  let text = cache.get(object);
  if (text === undefined) {
    text = JSON.stringify(object);
    cache.set(object, text);
  }
  return text;
}

/** A list response (`PodList` etc.) assembled from the cached item JSON. */
export function listJson(
  kind: string,
  apiVersion: string,
  metadata: Record<string, unknown>,
  items: KubeObject[],
): string {
  return `{"kind":${JSON.stringify(kind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${JSON.stringify(metadata)},"items":[${items.map(objectJson).join(',')}]}`;
}
