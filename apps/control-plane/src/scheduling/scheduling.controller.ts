import { Controller, Inject } from '@nestjs/common';
import { LABEL, validateModelDeploymentSpec } from '@switchyard/contracts';
import { Inventory, NotFoundError, priorityClassName, type AllocationRecord, type Page } from '@switchyard/inventory';
import type { z } from 'zod';
import type { ModelDeploymentObject, PodObject } from '@switchyard/kube';
import { Endpoint, Input } from '../http/endpoint';
import { ProblemError } from '../http/problem-error';
import type { RouteInput } from '../http/route-spec';
import {
  schedulingRoutes as routes,
  type deploymentDetailSchema,
  type deploymentSummarySchema,
  type explanationSchema,
  type placementSchema,
} from './scheduling.routes';
import type { SchedulingReadModel } from './scheduling-read-model';

/** Injection token of the Kubernetes runtime; null when the control plane runs without Kubernetes. */
export const KUBERNETES_RUNTIME = Symbol('KUBERNETES_RUNTIME');

/** What the scheduling read API needs of the Kubernetes runtime: its informers' picture, leadership, the read model. */
export interface SchedulingRuntime {
  readonly readModel: SchedulingReadModel;
  readonly isLeader: boolean;
  readonly leader: string | undefined;
  listDeployments(): ModelDeploymentObject[];
  getDeployment(namespace: string, name: string): ModelDeploymentObject | undefined;
  getPod(namespace: string, name: string): PodObject | undefined;
}

type Placement = z.infer<typeof placementSchema>;
type DeploymentSummary = z.infer<typeof deploymentSummarySchema>;

function toPlacement(a: AllocationRecord): Placement {
  return {
    id: a.id,
    pod: { namespace: a.podNamespace, name: a.podName, uid: a.podUid },
    node: a.nodeName,
    gpus: a.gpus,
    predictedWatts: a.predictedWatts,
    powerLimitWatts: a.powerLimitWatts,
    priority: priorityClassName(a.priority),
    state: a.state,
    tenantId: a.tenantId,
    deploymentId: a.deploymentId,
    createdAt: a.createdAt.toISOString(),
    boundAt: a.boundAt ? a.boundAt.toISOString() : null,
  };
}

function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify(['deployment', key])).toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const [kind, key] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    if (kind === 'deployment' && typeof key === 'string') return key;
  } catch {
    // answered below
  }
  throw new ProblemError('invalid-parameters', 'cursor is not a cursor returned by this API', [
    { path: 'cursor', message: 'is not a cursor returned by this API', in: 'query' },
  ]);
}

/** The scheduling read API: served by every replica from its informers and PostgreSQL. */
@Controller()
export class SchedulingController {
  constructor(
    @Inject(Inventory) private readonly inventory: Inventory,
    @Inject(KUBERNETES_RUNTIME) private readonly runtime: SchedulingRuntime | null,
  ) {}

  private kube(): SchedulingRuntime {
    if (!this.runtime)
      throw new ProblemError('unavailable', 'the Kubernetes integration is not running on this control plane');
    return this.runtime;
  }

  @Endpoint(routes.listDeployments)
  listDeployments(@Input() { query }: RouteInput<typeof routes.listDeployments>): Page<DeploymentSummary> {
    const limit = query.limit ?? 100;
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const all = this.kube()
      .listDeployments()
      .filter((md) => query.namespace === undefined || md.metadata.namespace === query.namespace)
      .map((md) => ({ key: `${md.metadata.namespace}/${md.metadata.name}`, md }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .filter((e) => after === null || e.key > after);
    const page = all.slice(0, limit);
    return {
      items: page.map((e) => summarize(e.md)),
      nextCursor: all.length > limit ? encodeCursor(page[page.length - 1].key) : null,
    };
  }

  @Endpoint(routes.getDeployment)
  async getDeployment(
    @Input() { params }: RouteInput<typeof routes.getDeployment>,
  ): Promise<z.infer<typeof deploymentDetailSchema>> {
    const md = this.kube().getDeployment(params.namespace, params.name);
    if (!md) throw new ProblemError('not-found', `ModelDeployment ${params.namespace}/${params.name} does not exist`);
    const spec = validateModelDeploymentSpec(md.spec);
    const placements: Placement[] = [];
    const record = await this.inventory.deployments.get(params.namespace, params.name).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (record) {
      let cursor: string | undefined;
      do {
        const page = await this.inventory.allocations.list({
          deploymentId: record.id,
          limit: 1000,
          ...(cursor ? { cursor } : {}),
        });
        placements.push(...page.items.map(toPlacement));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
    return {
      namespace: params.namespace,
      name: params.name,
      ...(md.metadata.uid ? { uid: md.metadata.uid } : {}),
      ...(md.metadata.generation !== undefined ? { generation: md.metadata.generation } : {}),
      spec: spec.ok ? spec.value : (md.spec as never),
      status: (md.status ?? {}) as never,
      predictedWatts: placements.reduce((sum, p) => sum + p.predictedWatts, 0),
      placements,
    };
  }

  @Endpoint(routes.listPlacements)
  async listPlacements(@Input() { query }: RouteInput<typeof routes.listPlacements>): Promise<Page<Placement>> {
    const empty = { items: [], nextCursor: null };
    let tenantId: string | undefined;
    let deploymentId: string | undefined;
    if (query.tenant !== undefined) {
      const tenant = await this.inventory.tenants.findByName(query.tenant);
      if (!tenant) return empty;
      tenantId = tenant.id;
    }
    if (query.deployment !== undefined) {
      const [namespace, name] = query.deployment.split('/');
      const record = await this.inventory.deployments.get(namespace, name).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
      if (!record) return empty;
      deploymentId = record.id;
    }
    const page = await this.inventory.allocations.list({
      ...(query.limit !== undefined ? { limit: query.limit } : {}),
      ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      ...(query.node !== undefined ? { nodeName: query.node } : {}),
      ...(query.scope !== undefined ? { scopeId: query.scope } : {}),
      ...(tenantId !== undefined ? { tenantId } : {}),
      ...(deploymentId !== undefined ? { deploymentId } : {}),
    });
    return { items: page.items.map(toPlacement), nextCursor: page.nextCursor };
  }

  @Endpoint(routes.getExplanation)
  getExplanation(@Input() { params }: RouteInput<typeof routes.getExplanation>): z.infer<typeof explanationSchema> {
    const runtime = this.kube();
    const live = runtime.readModel.explanation(params.namespace, params.name);
    if (live) return { ...live, reasons: [...live.reasons], source: 'scheduler' };
    const pod = runtime.getPod(params.namespace, params.name);
    if (!pod)
      throw new ProblemError(
        'not-found',
        `pod ${params.namespace}/${params.name} does not exist or is not scheduled by switchyard`,
      );
    if (pod.spec.nodeName)
      throw new ProblemError(
        'not-found',
        `pod ${params.namespace}/${params.name} is placed on ${pod.spec.nodeName}; there is nothing to explain`,
      );
    // A follower has no live explanation; the leader wrote it into the deployment status.
    const owner = pod.metadata.labels?.[LABEL.deployment];
    const md = owner ? runtime.getDeployment(params.namespace, owner) : undefined;
    const replica = md?.status?.replicaStatuses?.find((r) => r.pods.some((p) => p.name === params.name));
    if (replica?.message) {
      return {
        namespace: params.namespace,
        name: params.name,
        message: replica.message,
        powerLimited: /power/.test(replica.message),
        reasons: [],
        at: new Date().toISOString(),
        attempts: 0,
        source: 'deployment-status',
      };
    }
    throw new ProblemError(
      'not-found',
      `no placement explanation for pod ${params.namespace}/${params.name} yet${runtime.isLeader ? '' : ` on this replica (leader: ${runtime.leader ?? 'none'})`}`,
    );
  }
}

function summarize(md: ModelDeploymentObject): DeploymentSummary {
  const status = md.status ?? {};
  const spec = md.spec as { model?: string; priority?: string; tenant?: string; replicas?: number };
  return {
    namespace: md.metadata.namespace ?? 'default',
    name: md.metadata.name,
    ...(md.metadata.uid ? { uid: md.metadata.uid } : {}),
    model: spec.model ?? '',
    priority: spec.priority ?? 'standard',
    tenant: spec.tenant ?? 'default',
    replicas: spec.replicas ?? 1,
    placed: status.placed ?? 0,
    ready: status.ready ?? 0,
    predictedWatts: status.predictedWatts ?? 0,
    conditions: (status.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message ?? '',
    })),
  };
}
