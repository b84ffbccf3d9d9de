import type { JsonObject, KubeObject, SharedStorage } from './resource-type';

/** Field pairs between events.k8s.io/v1 and core/v1 Events (the apiserver's conversion), new name first. */
const RENAMED: [string, string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];
const SHARED = ['metadata', 'eventTime', 'series', 'action', 'reason', 'related', 'reportingInstance', 'type'];

function rename(object: KubeObject, apiVersion: string, pairs: [string, string][]): KubeObject {
  const source = object as JsonObject;
  const out: JsonObject = { apiVersion, kind: 'Event', metadata: object.metadata };
  for (const key of SHARED) if (source[key] !== undefined) out[key] = source[key];
  for (const [from, to] of pairs) if (source[from] !== undefined) out[to] = source[from];
  return out as KubeObject;
}

/** events.k8s.io/v1 Events stored as core/v1 Events, so `kubectl describe` shows what either API wrote. */
export const EVENTS_V1_STORAGE: SharedStorage = {
  typeKey: 'events',
  toStored: (o) => rename(o, 'v1', RENAMED),
  fromStored: (o) =>
    rename(
      o,
      'events.k8s.io/v1',
      RENAMED.map(([a, b]) => [b, a]),
    ),
};
