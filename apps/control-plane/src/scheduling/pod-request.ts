import type { PodRequest } from '@switchyard/placement';
import { cpuMilli, memoryMiB, QuantityError } from './kube-quantity';
import { ANNOTATION, GPU_RESOURCE, LABEL } from '@switchyard/contracts';
import { podKey, type ContainerView, type PodView, type QuantityMap } from './pod-model';

/** Priorities of the ModelDeployment contract, lowest first; the value orders preemption. */
export const PRIORITY_VALUES = { 'best-effort': 0, batch: 100, standard: 500, high: 800, critical: 1000 } as const;
export type PriorityName = keyof typeof PRIORITY_VALUES;
export const DEFAULT_PRIORITY: PriorityName = 'standard';

export type GangScope = 'rack' | 'row' | 'hall' | 'site';

/** What one pod asks the placement engine for, in the engine's units. */
export interface PodSchedulingRequest {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  /** Whole GPUs (gpuMilli 1000), one GPU's fraction (gpuCount 1, gpuMilli < 1000) or none (0, 0). */
  readonly gpuCount: number;
  readonly gpuMilli: number;
  readonly allowedProducts: readonly string[] | null;
  readonly minGpuMemoryMiB: number;
  /** Predicted watts per GPU at full power; from the product's TDP when the pod does not say. */
  readonly wattsPerGpu: number;
  /** Lower power limit the pod may run under, and its predicted watts per GPU. */
  readonly capping: { readonly limitWatts: number; readonly wattsPerGpu: number } | null;
  readonly priority: PriorityName;
  readonly priorityValue: number;
  readonly tenant: string | null;
  readonly gang: {
    readonly id: string;
    readonly size: number;
    readonly member: number;
    readonly scope: GangScope;
  } | null;
  /** `namespace/name` of the owning deployment; its replicas prefer different racks unless `spread` is false. */
  readonly deploymentKey: string | null;
  readonly spread: boolean;
}

export interface GpuProductInfo {
  readonly memoryMiB: number;
  readonly tdpWatts: number;
}

/** What the translation needs to know about the cluster: the products that exist. */
export interface PodRequestCatalog {
  readonly products: ReadonlyMap<string, GpuProductInfo>;
  /** Largest GPU count of any node; more whole GPUs than that can never fit one node. */
  readonly maxGpusPerNode: number;
}

/** Why a pod cannot be scheduled no matter what changes in the cluster; it names the field. */
export interface PodRejection {
  readonly field: string;
  readonly message: string;
}

export type PodRequestResult =
  | { readonly ok: true; readonly request: PodSchedulingRequest }
  | { readonly ok: false; readonly rejection: PodRejection };

class Rejected extends Error {
  constructor(readonly rejection: PodRejection) {
    super(rejection.message);
  }
}

function reject(field: string, message: string): never {
  throw new Rejected({ field, message });
}

/** Translate a pending pod into a placement request, or say which field makes it impossible. */
export function translatePod(pod: PodView, catalog: PodRequestCatalog): PodRequestResult {
  try {
    return { ok: true, request: buildRequest(pod, catalog) };
  } catch (error) {
    if (error instanceof Rejected) return { ok: false, rejection: error.rejection };
    throw error;
  }
}

function buildRequest(pod: PodView, catalog: PodRequestCatalog): PodSchedulingRequest {
  const meta = pod.metadata ?? {};
  const labels = meta.labels ?? {};
  const annotations = meta.annotations ?? {};
  const containers = pod.spec?.containers ?? [];
  if (containers.length === 0) reject('spec.containers', 'pod has no containers');

  const cpu = effectiveRequest(pod, 'cpu', cpuMilli);
  const memory = effectiveRequest(pod, 'memory', memoryMiB);
  const wholeGpus = effectiveRequest(pod, GPU_RESOURCE, gpuCount);
  const { gpuCount: count, gpuMilli: milli } = gpuShape(wholeGpus, annotations[ANNOTATION.gpuMilli], catalog);

  const allowedProducts = productsOf(pod, catalog);
  const minGpuMemoryMiB = optionalNumber(annotations, ANNOTATION.gpuMemoryMiB, 0) ?? 0;
  if (count > 0 && minGpuMemoryMiB > 0) {
    const candidates = allowedProducts ?? [...catalog.products.keys()];
    if (!candidates.some((p) => (catalog.products.get(p)?.memoryMiB ?? 0) >= minGpuMemoryMiB)) {
      reject(
        `metadata.annotations["${ANNOTATION.gpuMemoryMiB}"]`,
        `no allowed GPU product has ${minGpuMemoryMiB} MiB of memory`,
      );
    }
  }
  const wattsPerGpu = optionalNumber(annotations, ANNOTATION.wattsPerGpu, 1) ?? defaultWatts(allowedProducts, catalog);
  const capping = cappingOf(annotations, wattsPerGpu);
  const priority = priorityOf(pod);
  const gang = gangOf(labels, annotations);

  return {
    key: podKey(pod),
    namespace: meta.namespace ?? 'default',
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    cpuMilli: cpu,
    memoryMiB: memory,
    gpuCount: count,
    gpuMilli: milli,
    allowedProducts,
    minGpuMemoryMiB,
    wattsPerGpu: count === 0 ? 0 : wattsPerGpu,
    capping: count === 0 ? null : capping,
    priority,
    priorityValue: PRIORITY_VALUES[priority],
    tenant: labels[LABEL.tenant] ?? null,
    gang,
    deploymentKey: labels[LABEL.deployment] ? `${meta.namespace ?? 'default'}/${labels[LABEL.deployment]}` : null,
    spread: annotations[ANNOTATION.spread] !== 'none',
  };
}

function gpuCount(q: string | number): number {
  const n = typeof q === 'number' ? q : Number(q);
  if (!Number.isInteger(n) || n < 0)
    throw new QuantityError(
      String(q),
      'GPUs are whole numbers; use the switchyard.io/gpu-milli annotation for a fraction',
    );
  return n;
}

/**
 * The kubelet's rule: a pod needs max(sum over containers, max over init containers); a
 * limit without a request counts as the request (extended resources such as GPUs are
 * usually given as limits only).
 */
function effectiveRequest(pod: PodView, resource: string, parse: (q: string | number) => number): number {
  const read = (c: ContainerView, i: number, list: string): number => {
    const requests: QuantityMap = c.resources?.requests ?? {};
    const limits: QuantityMap = c.resources?.limits ?? {};
    const raw = requests[resource] ?? limits[resource];
    if (raw === undefined) return 0;
    try {
      return parse(raw);
    } catch (error) {
      if (error instanceof QuantityError) reject(`spec.${list}[${i}].resources["${resource}"]`, error.message);
      throw error;
    }
  };
  const sum = (pod.spec?.containers ?? []).reduce((acc, c, i) => acc + read(c, i, 'containers'), 0);
  const init = (pod.spec?.initContainers ?? []).reduce((acc, c, i) => Math.max(acc, read(c, i, 'initContainers')), 0);
  return Math.max(sum, init);
}

function gpuShape(
  wholeGpus: number,
  milliAnnotation: string | undefined,
  catalog: PodRequestCatalog,
): { gpuCount: number; gpuMilli: number } {
  const field = `metadata.annotations["${ANNOTATION.gpuMilli}"]`;
  if (milliAnnotation !== undefined) {
    if (!/^\d+$/.test(milliAnnotation.trim()))
      reject(field, `"${milliAnnotation}" is not an integer between 1 and 1000`);
    const milli = Number(milliAnnotation);
    if (milli < 1 || milli > 1000) reject(field, `${milli} is not between 1 and 1000 milli-GPU`);
    if (wholeGpus > 1) reject(field, `a fraction of a GPU cannot be combined with ${wholeGpus} whole GPUs`);
    return { gpuCount: 1, gpuMilli: milli };
  }
  if (wholeGpus > catalog.maxGpusPerNode) {
    reject(
      `spec.containers[*].resources["${GPU_RESOURCE}"]`,
      `${wholeGpus} GPUs requested but no node has more than ${catalog.maxGpusPerNode}`,
    );
  }
  return wholeGpus === 0 ? { gpuCount: 0, gpuMilli: 0 } : { gpuCount: wholeGpus, gpuMilli: 1000 };
}

/** Products from the annotation (comma separated) or the device plugin's node selector label; null means any. */
function productsOf(pod: PodView, catalog: PodRequestCatalog): string[] | null {
  const fromAnnotation = pod.metadata?.annotations?.[ANNOTATION.gpuProducts];
  const fromSelector = pod.spec?.nodeSelector?.[LABEL.gpuProduct];
  const field =
    fromAnnotation !== undefined
      ? `metadata.annotations["${ANNOTATION.gpuProducts}"]`
      : `spec.nodeSelector["${LABEL.gpuProduct}"]`;
  const raw = fromAnnotation ?? fromSelector;
  if (raw === undefined) return null;
  let products = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (fromAnnotation !== undefined && fromSelector !== undefined)
    products = products.filter((p) => p === fromSelector.trim());
  if (products.length === 0) reject(field, 'no GPU product allowed');
  const unknown = products.filter((p) => !catalog.products.has(p));
  if (unknown.length === products.length)
    reject(field, `unknown GPU product ${unknown.map((u) => `"${u}"`).join(', ')}: no node has it`);
  return products.filter((p) => catalog.products.has(p)).sort();
}

function defaultWatts(allowed: readonly string[] | null, catalog: PodRequestCatalog): number {
  const candidates = allowed ?? [...catalog.products.keys()];
  let watts = 0;
  for (const p of candidates) watts = Math.max(watts, catalog.products.get(p)?.tdpWatts ?? 0);
  return watts;
}

function optionalNumber(annotations: Readonly<Record<string, string>>, key: string, min: number): number | null {
  const raw = annotations[key];
  if (raw === undefined) return null;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min)
    reject(`metadata.annotations["${key}"]`, `"${raw}" is not a number >= ${min}`);
  return value;
}

function cappingOf(
  annotations: Readonly<Record<string, string>>,
  wattsPerGpu: number,
): PodSchedulingRequest['capping'] {
  if (annotations[ANNOTATION.powerCapping] !== 'true') return null;
  const limitWatts = optionalNumber(annotations, ANNOTATION.minPowerLimitWatts, 1);
  if (limitWatts === null)
    reject(`metadata.annotations["${ANNOTATION.minPowerLimitWatts}"]`, 'power capping needs a lowest power limit');
  const capped = optionalNumber(annotations, ANNOTATION.cappedWattsPerGpu, 1) ?? Math.min(limitWatts, wattsPerGpu);
  if (capped > wattsPerGpu)
    reject(
      `metadata.annotations["${ANNOTATION.cappedWattsPerGpu}"]`,
      `capped watts ${capped} exceed uncapped ${wattsPerGpu}`,
    );
  return { limitWatts, wattsPerGpu: capped };
}

function priorityOf(pod: PodView): PriorityName {
  const candidates = [pod.metadata?.labels?.[LABEL.priority], pod.spec?.priorityClassName];
  for (const c of candidates) if (c !== undefined && c in PRIORITY_VALUES) return c as PriorityName;
  const label = pod.metadata?.labels?.[LABEL.priority];
  if (label !== undefined)
    reject(
      `metadata.labels["${LABEL.priority}"]`,
      `unknown priority "${label}"; one of ${Object.keys(PRIORITY_VALUES).join(', ')}`,
    );
  return DEFAULT_PRIORITY;
}

function gangOf(
  labels: Readonly<Record<string, string>>,
  annotations: Readonly<Record<string, string>>,
): PodSchedulingRequest['gang'] {
  const id = labels[LABEL.gang];
  if (id === undefined) return null;
  const sizeRaw = labels[LABEL.gangSize] ?? '';
  const size = Number(sizeRaw);
  if (!Number.isInteger(size) || size < 1)
    reject(`metadata.labels["${LABEL.gangSize}"]`, `"${sizeRaw}" is not a positive integer`);
  const memberRaw = labels[LABEL.member] ?? '0';
  const member = Number(memberRaw);
  if (!Number.isInteger(member) || member < 0 || member >= size)
    reject(`metadata.labels["${LABEL.member}"]`, `"${memberRaw}" is not a member index below ${size}`);
  const scope = annotations[ANNOTATION.gangScope] ?? 'site';
  if (!['rack', 'row', 'hall', 'site'].includes(scope))
    reject(`metadata.annotations["${ANNOTATION.gangScope}"]`, `"${scope}" is not one of rack, row, hall, site`);
  return { id, size, member, scope: scope as GangScope };
}

/** What the engine is given for a pod. */
export function toPodRequest(p: PodSchedulingRequest): PodRequest {
  return {
    id: p.key,
    cpuMilli: p.cpuMilli,
    memoryMiB: p.memoryMiB,
    gpuCount: p.gpuCount,
    gpuMilli: p.gpuMilli,
    allowedProducts: p.allowedProducts,
    minGpuMemoryMiB: p.minGpuMemoryMiB,
    wattsPerGpu: p.wattsPerGpu,
    cap: p.capping ? { limitWatts: p.capping.limitWatts, wattsPerGpu: p.capping.wattsPerGpu } : null,
  };
}
