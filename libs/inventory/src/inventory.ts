import type { Database } from './database';
import { AllocationRepository } from './repositories/allocations';
import { ApiTokenRepository } from './repositories/api-tokens';
import { AuditLog } from './repositories/audit-log';
import { BudgetOverrideRepository } from './repositories/budget-overrides';
import { DeploymentRepository } from './repositories/deployments';
import { ModelProfileRepository } from './repositories/model-profiles';
import { GpuProductRepository, NodeRepository } from './repositories/nodes';
import { ScopeRepository } from './repositories/scopes';
import { TenantRepository } from './repositories/tenants';
import { TopologyImporter } from './repositories/topology-import';

/** Every repository over one database: `new Inventory(database).scopes.tree()`. */
export class Inventory {
  readonly topology: TopologyImporter;
  readonly scopes: ScopeRepository;
  readonly nodes: NodeRepository;
  readonly gpuProducts: GpuProductRepository;
  readonly modelProfiles: ModelProfileRepository;
  readonly tenants: TenantRepository;
  readonly budgetOverrides: BudgetOverrideRepository;
  readonly audit: AuditLog;
  readonly tokens: ApiTokenRepository;
  readonly allocations: AllocationRepository;
  readonly deployments: DeploymentRepository;

  constructor(readonly database: Database) {
    const prisma = database.prisma;
    this.topology = new TopologyImporter(prisma);
    this.scopes = new ScopeRepository(database);
    this.nodes = new NodeRepository(prisma);
    this.gpuProducts = new GpuProductRepository(prisma);
    this.modelProfiles = new ModelProfileRepository(prisma);
    this.tenants = new TenantRepository(prisma);
    this.budgetOverrides = new BudgetOverrideRepository(prisma);
    this.audit = new AuditLog(prisma);
    this.tokens = new ApiTokenRepository(prisma);
    this.allocations = new AllocationRepository(prisma);
    this.deployments = new DeploymentRepository(prisma);
  }

  /** true when the database holds no scope yet (e.g. to load the demo topology at first start). */
  async isEmpty(): Promise<boolean> {
    return (await this.database.prisma.scope.count()) === 0;
  }
}
