import { badRequest, KubeApiError } from './api-error';
import type { JsonObject } from './resource-type';

const isMap = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7386 JSON merge patch: maps merge, `null` deletes, everything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return clone(patch);
  const out: JsonObject = isMap(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`the JSON pointer "${path}" must start with "/"`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolveParent(doc: unknown, tokens: string[], path: string): { parent: JsonObject | unknown[]; key: string } {
  let node = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(t)];
    else if (isMap(node)) node = node[t];
    else node = undefined;
    if (node === undefined) throw unprocessablePatch(`doc is missing path: "${path}"`);
  }
  if (!Array.isArray(node) && !isMap(node)) throw unprocessablePatch(`doc is missing path: "${path}"`);
  return { parent: node, key: tokens[tokens.length - 1] };
}

function unprocessablePatch(message: string): KubeApiError {
  return new KubeApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);
}

function getAt(doc: unknown, path: string): unknown {
  let node = doc;
  for (const t of pointer(path)) {
    if (Array.isArray(node)) node = node[Number(t)];
    else if (isMap(node)) node = node[t];
    else return undefined;
  }
  return node;
}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test); applied to a copy, all or nothing. */
export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('a JSON patch must be an array of operations');
  let doc = clone(target);
  for (const raw of ops as JsonPatchOp[]) {
    if (!isMap(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string')
      throw badRequest('each JSON patch operation needs "op" and "path"');
    const tokens = pointer(raw.path);
    const put = (value: unknown, replace: boolean): void => {
      if (tokens.length === 0) {
        doc = value;
        return;
      }
      const { parent, key } = resolveParent(doc, tokens, raw.path);
      if (Array.isArray(parent)) {
        const index = key === '-' ? parent.length : Number(key);
        if (!Number.isInteger(index) || index < 0 || index > parent.length)
          throw unprocessablePatch(`index out of range in "${raw.path}"`);
        if (replace) {
          if (index >= parent.length) throw unprocessablePatch(`index out of range in "${raw.path}"`);
          parent[index] = value;
        } else parent.splice(index, 0, value);
      } else {
        if (replace && !(key in parent))
          throw unprocessablePatch(`replace operation does not apply: doc is missing key: ${raw.path}`);
        parent[key] = value;
      }
    };
    const remove = (path: string): void => {
      const t = pointer(path);
      const { parent, key } = resolveParent(doc, t, path);
      if (Array.isArray(parent)) {
        const index = Number(key);
        if (!(index >= 0 && index < parent.length))
          throw unprocessablePatch(`remove operation does not apply: doc is missing path: "${path}"`);
        parent.splice(index, 1);
      } else {
        if (!(key in parent))
          throw unprocessablePatch(`remove operation does not apply: doc is missing path: "${path}"`);
        delete parent[key];
      }
    };
    switch (raw.op) {
      case 'add':
        put(clone(raw.value), false);
        break;
      case 'replace':
        put(clone(raw.value), true);
        break;
      case 'remove':
        remove(raw.path);
        break;
      case 'move':
      case 'copy': {
        if (typeof raw.from !== 'string') throw badRequest(`"${raw.op}" needs "from"`);
        const value = getAt(doc, raw.from);
        if (value === undefined) throw unprocessablePatch(`doc is missing from path: "${raw.from}"`);
        if (raw.op === 'move') remove(raw.from);
        put(clone(value), false);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(doc, raw.path)) !== JSON.stringify(raw.value))
          throw unprocessablePatch(`testing value ${raw.path} failed`);
        break;
      default:
        throw badRequest(`unknown JSON patch operation "${raw.op}"`);
    }
  }
  return doc;
}

/**
 * Merge keys of the lists `kubectl apply` patches in built-in types, by field name. The real apiserver reads
 * them from Go struct tags; the names below cover pods, services, deployments and the metadata lists.
 */
const MERGE_KEYS: Record<string, string | ((items: JsonObject[]) => string)> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  ports: (items) => (items.some((i) => 'containerPort' in i) ? 'containerPort' : 'port'),
};
/** Primitive lists merged as sets rather than replaced. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

/**
 * The strategic merge patch subset `kubectl apply` and `kubectl patch` send: maps merge, known lists merge by key,
 * `$patch: delete|replace|merge`, `$retainKeys`, `$deleteFromPrimitiveList/<f>`, `$setElementOrder/<f>` (order only).
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return clone(patch);
  const directive = patch.$patch;
  if (directive === 'replace') {
    const rest = { ...patch };
    delete rest.$patch;
    return clone(rest);
  }
  if (directive === 'delete') return undefined;
  const out: JsonObject = isMap(target) ? { ...target } : {};
  const retain = patch.$retainKeys;
  if (Array.isArray(retain)) {
    for (const key of Object.keys(out)) if (!retain.includes(key)) delete out[key];
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = out[field];
      if (Array.isArray(current) && Array.isArray(value)) out[field] = current.filter((v) => !value.includes(v));
      continue;
    }
    if (value === null) {
      delete out[key];
    } else if (Array.isArray(value)) {
      out[key] = mergeList(key, out[key], value);
    } else if (isMap(value)) {
      const merged = applyStrategicMergePatch(out[key], value);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else {
      out[key] = value;
    }
  }
  return out;
}

function mergeList(field: string, current: unknown, patch: unknown[]): unknown[] {
  const existing = Array.isArray(current) ? current : [];
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    const out = [...existing];
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  const keySpec = MERGE_KEYS[field];
  const patchMaps = patch.filter(isMap);
  if (!keySpec || patchMaps.length !== patch.length) {
    // A list of one `{$patch: replace}` element empties the list.
    return clone(patch.filter((p) => !(isMap(p) && p.$patch === 'replace')));
  }
  const mergeKey = typeof keySpec === 'string' ? keySpec : keySpec([...patchMaps, ...existing.filter(isMap)]);
  if (patchMaps.some((p) => p.$patch === 'replace')) return clone(patchMaps.filter((p) => p.$patch !== 'replace'));
  const out: unknown[] = existing.map((e) => clone(e));
  for (const item of patchMaps) {
    const key = item[mergeKey];
    const at = out.findIndex((e) => isMap(e) && e[mergeKey] === key);
    if (item.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = applyStrategicMergePatch(out[at], item);
    else out.push(applyStrategicMergePatch({}, item));
  }
  return out;
}
