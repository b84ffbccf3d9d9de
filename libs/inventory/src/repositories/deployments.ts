/** Workload owners (ModelDeployments) as the control plane last saw them, for placements and the API. */
import type { Deployment, Prisma, PrismaClient } from '../generated/prisma/client';
import { mapped, NotFoundError } from '../errors';
import { existingById } from '../ids';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from '../pagination';
import type { PriorityClass } from './allocations';

export interface DeploymentRecord {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly kubeUid: string | null;
  readonly modelProfileId: string | null;
  readonly tenantId: string | null;
  readonly priority: PriorityClass;
  readonly replicas: number;
  readonly spec: unknown;
  readonly status: unknown;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface DeploymentInput {
  readonly namespace: string;
  readonly name: string;
  readonly kubeUid?: string | null;
  readonly modelProfileId?: string | null;
  readonly tenantId?: string | null;
  readonly priority?: PriorityClass;
  readonly replicas?: number;
  readonly spec?: Prisma.InputJsonValue;
  readonly status?: Prisma.InputJsonValue;
}

function toRecord(row: Deployment): DeploymentRecord {
  return { ...row };
}

export class DeploymentRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Creates or updates by namespace/name. */
  async upsert(input: DeploymentInput): Promise<DeploymentRecord> {
    const data = {
      kubeUid: input.kubeUid,
      modelProfileId: input.modelProfileId,
      tenantId: input.tenantId,
      priority: input.priority,
      replicas: input.replicas,
      spec: input.spec,
      status: input.status,
    };
    const row = await mapped(() =>
      this.prisma.deployment.upsert({
        where: { namespace_name: { namespace: input.namespace, name: input.name } },
        create: { namespace: input.namespace, name: input.name, ...data },
        update: data,
      }),
    );
    return toRecord(row);
  }

  async get(namespace: string, name: string): Promise<DeploymentRecord> {
    const row = await mapped(() =>
      this.prisma.deployment.findUnique({ where: { namespace_name: { namespace, name } } }),
    );
    if (!row) throw new NotFoundError('deployment', `${namespace}/${name}`);
    return toRecord(row);
  }

  async getById(id: string): Promise<DeploymentRecord> {
    return toRecord(
      await existingById('deployment', id, () => mapped(() => this.prisma.deployment.findUnique({ where: { id } }))),
    );
  }

  /** Ordered by namespace, then name. */
  async list(query: PageRequest & { namespace?: string } = {}): Promise<Page<DeploymentRecord>> {
    const limit = pageLimit(query);
    const after = query.cursor
      ? decodeCursor<[string, string]>('deployment', query.cursor, ['string', 'string'])
      : undefined;
    const rows = await mapped(() =>
      this.prisma.deployment.findMany({
        where: {
          namespace: query.namespace,
          ...(after ? { OR: [{ namespace: { gt: after[0] } }, { namespace: after[0], name: { gt: after[1] } }] } : {}),
        },
        orderBy: [{ namespace: 'asc' }, { name: 'asc' }],
        take: limit + 1,
      }),
    );
    return toPage(rows.map(toRecord), limit, 'deployment', (d) => [d.namespace, d.name]);
  }

  /** Returns false when there was nothing to delete. Its allocations stay (deployment_id becomes null) until released. */
  async delete(namespace: string, name: string): Promise<boolean> {
    const { count } = await mapped(() => this.prisma.deployment.deleteMany({ where: { namespace, name } }));
    return count > 0;
  }
}
