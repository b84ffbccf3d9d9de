import { createHash } from 'node:crypto';
import type { ModelDeploymentView, ModelProfileDefaults } from './model-deployment-view';
import { MODEL_DEPLOYMENT_API_VERSION, MODEL_DEPLOYMENT_KIND, resolveMaxUnavailable } from './model-deployment-view';
import { ANNOTATION, GPU_RESOURCE, LABEL, SCHEDULER_NAME } from '@switchyard/contracts';
import { isPodReady, type PodView } from '../scheduling/pod-model';
import { DEFAULT_PRIORITY } from '../scheduling/pod-request';

/** The pods a ModelDeployment should have, as the difference to apply: create these, delete those. */
export interface ReplicaPlan {
  readonly templateHash: string;
  readonly create: readonly PodView[];
  readonly delete: readonly {
    readonly name: string;
    readonly reason: 'scale-down' | 'rollout' | 'orphan' | 'duplicate';
  }[];
}

export interface ReplicaPlanInput {
  readonly deployment: ModelDeploymentView;
  /** Pods owned by the deployment, terminating ones included. */
  readonly pods: readonly PodView[];
  readonly profile?: ModelProfileDefaults | null;
  /**
   * How constrained the tightest power budget above a node is (higher = tighter), so a
   * scale-down frees the scarcest watts first.
   */
  readonly budgetPressure?: (nodeName: string) => number;
}

const DEFAULT_IMAGE = 'ghcr.io/switchyard/model-server:latest';

/** The fields that define a replica's pods; changing any of them rolls the pods. */
function podShape(md: ModelDeploymentView, profile: ModelProfileDefaults | null | undefined) {
  const s = md.spec;
  return {
    model: s.model,
    image: s.image ?? profile?.image ?? DEFAULT_IMAGE,
    gpusPerPod: s.gpu.milli !== undefined ? 1 : (s.gpu.count ?? 1),
    gpuMilli: s.gpu.milli ?? null,
    podsPerReplica: s.podsPerReplica ?? 1,
    gpuProducts: s.gpu.products ?? profile?.allowedProducts ?? null,
    gpuMemoryMiB: s.gpu.memoryMiB ?? profile?.gpuMemoryMiB ?? null,
    priority: s.priority ?? DEFAULT_PRIORITY,
    tenant: s.tenant ?? null,
    wattsPerGpu: s.power?.wattsPerGpu ?? profile?.wattsPerGpu ?? null,
    capping: s.power?.cappingAllowed
      ? {
          min: s.power.minWattsPerGpu ?? profile?.cappedPowerLimitWatts ?? null,
          capped: s.power.minWattsPerGpu ?? profile?.cappedWattsPerGpu ?? null,
        }
      : null,
    gangScope: s.topology?.gangScope ?? null,
    spread: s.topology?.spread ?? 'rack',
    template: s.template ?? null,
  };
}

export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function templateHash(md: ModelDeploymentView, profile?: ModelProfileDefaults | null): string {
  return createHash('sha256')
    .update(stableJson(podShape(md, profile)))
    .digest('hex')
    .slice(0, 8);
}

export function replicaPodName(mdName: string, hash: string, replica: number, member: number): string {
  return `${mdName}-${hash}-${replica}-${member}`;
}

/** The pod for one member of one replica, owned by the deployment and addressed to this scheduler. */
export function buildReplicaPod(
  md: ModelDeploymentView,
  profile: ModelProfileDefaults | null | undefined,
  replica: number,
  member: number,
): PodView {
  const shape = podShape(md, profile);
  const hash = templateHash(md, profile);
  const name = md.metadata.name ?? '';
  const namespace = md.metadata.namespace ?? 'default';
  const t = shape.template;
  const gpus = shape.gpusPerPod;
  const labels: Record<string, string> = {
    ...(t?.labels ?? {}),
    [LABEL.managedBy]: 'switchyard',
    [LABEL.deployment]: name,
    [LABEL.replica]: String(replica),
    [LABEL.member]: String(member),
    [LABEL.templateHash]: hash,
    [LABEL.priority]: shape.priority,
  };
  if (shape.tenant) labels[LABEL.tenant] = shape.tenant;
  const annotations: Record<string, string> = { ...(t?.annotations ?? {}), [ANNOTATION.modelProfile]: shape.model };
  if (shape.podsPerReplica > 1) {
    labels[LABEL.gang] = `${name}-${hash}-${replica}`;
    labels[LABEL.gangSize] = String(shape.podsPerReplica);
    annotations[ANNOTATION.gangScope] = shape.gangScope ?? 'rack';
  }
  if (shape.spread === 'none') annotations[ANNOTATION.spread] = 'none';
  if (shape.gpuMilli !== null) annotations[ANNOTATION.gpuMilli] = String(shape.gpuMilli);
  if (shape.gpuProducts && shape.gpuProducts.length > 0)
    annotations[ANNOTATION.gpuProducts] = shape.gpuProducts.join(',');
  if (shape.gpuMemoryMiB !== null) annotations[ANNOTATION.gpuMemoryMiB] = String(shape.gpuMemoryMiB);
  if (shape.wattsPerGpu !== null) annotations[ANNOTATION.wattsPerGpu] = String(shape.wattsPerGpu);
  if (shape.capping) {
    annotations[ANNOTATION.powerCapping] = 'true';
    if (shape.capping.min !== null) annotations[ANNOTATION.minPowerLimitWatts] = String(shape.capping.min);
    if (shape.capping.capped !== null) annotations[ANNOTATION.cappedWattsPerGpu] = String(shape.capping.capped);
  }
  const fraction = shape.gpuMilli !== null;
  const limits: Record<string, string> = fraction ? {} : { [GPU_RESOURCE]: String(gpus) };
  const requests: Record<string, string> = {
    cpu: t?.cpu !== undefined ? String(t.cpu) : fraction ? '1' : String(4 * gpus),
    memory: t?.memory !== undefined ? String(t.memory) : fraction ? '8Gi' : `${32 * gpus}Gi`,
    ...limits,
  };
  return {
    metadata: {
      name: replicaPodName(name, hash, replica, member),
      namespace,
      labels,
      annotations,
      ownerReferences: [
        {
          apiVersion: md.apiVersion ?? MODEL_DEPLOYMENT_API_VERSION,
          kind: MODEL_DEPLOYMENT_KIND,
          name,
          uid: md.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      schedulerName: SCHEDULER_NAME,
      ...(t?.nodeSelector ? { nodeSelector: t.nodeSelector } : {}),
      ...(t?.tolerations ? { tolerations: t.tolerations } : {}),
      ...(t?.serviceAccountName ? { serviceAccountName: t.serviceAccountName } : {}),
      containers: [
        {
          name: 'model',
          image: shape.image,
          resources: { requests, limits },
          env: [{ name: 'SWITCHYARD_MODEL', value: shape.model }, ...(t?.env ?? [])],
          ...(t?.args ? { args: t.args } : {}),
          ...(t?.command ? { command: t.command } : {}),
        },
      ],
    },
  };
}

function labelInt(pod: PodView, label: string): number | null {
  const raw = pod.metadata?.labels?.[label];
  if (raw === undefined || !/^\d+$/.test(raw)) return null;
  return Number(raw);
}

interface ReplicaPods {
  readonly index: number;
  readonly current: PodView[];
  readonly old: PodView[];
}

/** A replica is available when it has a full set of ready pods of one template. */
function isAvailable(r: ReplicaPods, size: number): boolean {
  const full = (pods: PodView[]) => pods.length >= size && pods.every(isPodReady);
  return full(r.current) || full(r.old);
}

function isPlaced(r: ReplicaPods, size: number): boolean {
  return r.current.length >= size && r.current.every((p) => !!p.spec?.nodeName);
}

/**
 * The controller's desired-state computation: scale up into the lowest free indices; scale
 * down removing unplaced replicas first, then those on the tightest budgets; roll old pods
 * to the new template without more than maxUnavailable replicas down (surging one replica
 * at a time when maxUnavailable is 0). Pure: the same input gives the same plan.
 */
export function planReplicas(input: ReplicaPlanInput): ReplicaPlan {
  const md = input.deployment;
  const hash = templateHash(md, input.profile);
  const size = md.spec.podsPerReplica ?? 1;
  const desired = Math.max(0, md.spec.replicas);
  const maxUnavailable = resolveMaxUnavailable(md.spec);
  const pressure = input.budgetPressure ?? (() => 0);
  const create: PodView[] = [];
  const remove: { name: string; reason: 'scale-down' | 'rollout' | 'orphan' | 'duplicate' }[] = [];

  const terminatingNames = new Set(
    input.pods.filter((p) => p.metadata?.deletionTimestamp).map((p) => p.metadata?.name ?? ''),
  );
  const replicas = new Map<number, ReplicaPods>();
  for (const pod of input.pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const index = labelInt(pod, LABEL.replica);
    const member = labelInt(pod, LABEL.member);
    if (index === null || member === null) {
      remove.push({ name: pod.metadata?.name ?? '', reason: 'orphan' });
      continue;
    }
    let r = replicas.get(index);
    if (!r) replicas.set(index, (r = { index, current: [], old: [] }));
    if (pod.metadata?.labels?.[LABEL.templateHash] === hash && member < size) r.current.push(pod);
    else r.old.push(pod);
  }
  // Two pods for one member of the current template (should not happen; a crash between create calls could): keep the placed one.
  for (const r of replicas.values()) {
    const byMember = new Map<number, PodView>();
    for (const pod of [...r.current].sort((a, b) => Number(!!b.spec?.nodeName) - Number(!!a.spec?.nodeName))) {
      const member = labelInt(pod, LABEL.member) as number;
      if (byMember.has(member)) remove.push({ name: pod.metadata?.name ?? '', reason: 'duplicate' });
      else byMember.set(member, pod);
    }
    r.current.splice(0, r.current.length, ...byMember.values());
  }

  let kept = [...replicas.values()].sort((a, b) => a.index - b.index);
  if (kept.length > desired) {
    const rank = (r: ReplicaPods) => {
      const pods = [...r.current, ...r.old];
      const unplaced = pods.length < size || pods.some((p) => !p.spec?.nodeName);
      const tightest = Math.max(0, ...pods.map((p) => (p.spec?.nodeName ? pressure(p.spec.nodeName) : 0)));
      return { unplaced, tightest };
    };
    const ordered = [...kept].sort((a, b) => {
      const ra = rank(a);
      const rb = rank(b);
      if (ra.unplaced !== rb.unplaced) return ra.unplaced ? -1 : 1;
      if (ra.tightest !== rb.tightest) return rb.tightest - ra.tightest;
      return b.index - a.index;
    });
    const victims = new Set(ordered.slice(0, kept.length - desired).map((r) => r.index));
    for (const r of kept)
      if (victims.has(r.index))
        for (const p of [...r.current, ...r.old]) remove.push({ name: p.metadata?.name ?? '', reason: 'scale-down' });
    kept = kept.filter((r) => !victims.has(r.index));
  }
  for (let index = 0; kept.length < desired; index += 1) {
    if (!replicas.has(index)) kept.push({ index, current: [], old: [] });
  }
  kept.sort((a, b) => a.index - b.index);

  const addMissing = (r: ReplicaPods) => {
    const present = new Set(r.current.map((p) => labelInt(p, LABEL.member)));
    for (let member = 0; member < size; member += 1) {
      if (present.has(member)) continue;
      const pod = buildReplicaPod(md, input.profile, r.index, member);
      // Wait for a terminating namesake to go; creating now would be a 409.
      if (!terminatingNames.has(pod.metadata?.name ?? '')) create.push(pod);
    }
  };

  let unavailable = kept.filter((r) => !isAvailable(r, size)).length;
  let surging = kept.some((r) => r.old.length > 0 && r.current.length > 0);
  for (const r of kept) {
    if (r.old.length === 0) {
      addMissing(r);
      continue;
    }
    if (r.current.length > 0) {
      // Rollout in progress for this replica: drop the old pods once the new set can serve.
      if (r.current.length >= size && r.current.every(isPodReady))
        for (const p of r.old) remove.push({ name: p.metadata?.name ?? '', reason: 'rollout' });
      else addMissing(r);
      continue;
    }
    const available = isAvailable(r, size);
    if (!available || unavailable < maxUnavailable) {
      for (const p of r.old) remove.push({ name: p.metadata?.name ?? '', reason: 'rollout' });
      addMissing(r);
      if (available) unavailable += 1;
    } else if (maxUnavailable === 0 && !surging) {
      addMissing(r);
      surging = true;
    }
  }
  return { templateHash: hash, create, delete: remove };
}

export { isPlaced as isReplicaPlaced, isAvailable as isReplicaAvailable };
