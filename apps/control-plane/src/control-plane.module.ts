import { type DynamicModule, Module, type Provider, type Type } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { Inventory } from '@switchyard/inventory';
import { ControlPlaneMetrics } from '@switchyard/telemetry';
import { BearerAuthGuard } from './auth/bearer-auth.guard';
import { inventoryTokenAuthenticator } from './auth/inventory-token-authenticator';
import { type ControlPlaneConfig } from './config/control-plane-config';
import { databaseReadiness } from './health/database-readiness';
import { HealthController } from './health/health.controller';
import { READINESS_CHECKS, type ReadinessCheck } from './health/readiness';
import { MutationClock } from './http/coalesced-read';
import { routeSpecsOf } from './http/endpoint';
import { MutationClockInterceptor } from './http/mutation-clock.interceptor';
import { type RouteSpec } from './http/route-spec';
import { type Logger, ROOT_LOGGER } from './logging/logger';
import { DocsController, OPENAPI_DOCUMENT } from './openapi/docs.controller';
import { AuditController } from './audit/audit.controller';
import { BudgetOverridesController } from './budget-overrides/budget-overrides.controller';
import { InventoryController } from './inventory/inventory.controller';
import { ModelProfilesController } from './model-profiles/model-profiles.controller';
import { ScopesController } from './scopes/scopes.controller';
import { TenantsController } from './tenants/tenants.controller';
import { TokensController } from './tokens/tokens.controller';
import { TopologyController } from './topology/topology.controller';
import { KubernetesModule, SCHEDULING_CONTROLLERS } from './kubernetes/kubernetes.module';
import { type KubernetesRuntime } from './kubernetes/kubernetes-runtime';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { ScopeMetrics } from './scopes/scope-metrics';
import { BudgetOverridesService } from './budget-overrides/budget-overrides.service';
import { CLUSTER_STATE } from './cluster-state/cluster-state.token';
import { ScopesService } from './scopes/scopes.service';
import { TenantsService } from './tenants/tenants.service';
import { TopologyService } from './topology/topology.service';

export const CONTROL_PLANE_CONFIG = Symbol('CONTROL_PLANE_CONFIG');

/** Everything an app instance runs on; created by startControlPlane (or a test) and closed by it. */
export interface ControlPlaneServices {
  config: ControlPlaneConfig;
  log: Logger;
  metrics: ControlPlaneMetrics;
  inventory: Inventory;
  /** The scheduler and controllers on a Kubernetes API; absent or null: the scheduling API answers 503. */
  kubernetes?: KubernetesRuntime | null;
  /** Checks besides the database's and the Kubernetes runtime's. */
  readinessChecks?: ReadinessCheck[];
  /** Further parts of the control plane (e.g. the Kubernetes runtime's module) and their controllers. */
  modules?: DynamicModule[];
  controllers?: Type[];
}

/** Every controller of the API; the OpenAPI document is generated from exactly these. */
export const CONTROLLERS: Type[] = [
  HealthController,
  DocsController,
  ScopesController,
  TopologyController,
  InventoryController,
  ModelProfilesController,
  TenantsController,
  BudgetOverridesController,
  AuditController,
  TokensController,
  ...SCHEDULING_CONTROLLERS,
];

/** The RouteSpecs of the app's controllers, plus those of any extra controllers. */
export function apiRoutes(extraControllers: readonly Type[] = []): RouteSpec[] {
  return [...CONTROLLERS, ...extraControllers].flatMap((controller) => routeSpecsOf(controller));
}

export function openApiDocument(extraControllers: readonly Type[] = []): Record<string, unknown> {
  return buildOpenApiDocument(apiRoutes(extraControllers), {
    title: 'Switchyard control plane',
    version: '1',
    description:
      'Admin API of Switchyard, the GPU scheduler and power-aware control plane: power scopes, inventory, ' +
      'model profiles, tenants and quotas, budget overrides, audit log and API tokens. Errors are RFC 9457 problem details.',
  });
}

@Module({})
export class ControlPlaneModule {
  static register(services: ControlPlaneServices): DynamicModule {
    const clock = new MutationClock();
    const providers: Provider[] = [
      { provide: MutationClock, useValue: clock },
      { provide: APP_INTERCEPTOR, useValue: new MutationClockInterceptor(clock) },
      { provide: CONTROL_PLANE_CONFIG, useValue: services.config },
      { provide: ROOT_LOGGER, useValue: services.log },
      { provide: ControlPlaneMetrics, useValue: services.metrics },
      { provide: Inventory, useValue: services.inventory },
      {
        provide: READINESS_CHECKS,
        useValue: [
          databaseReadiness(services.inventory.database),
          ...(services.kubernetes ? [services.kubernetes.readinessCheck()] : []),
          ...(services.readinessChecks ?? []),
        ],
      },
      { provide: OPENAPI_DOCUMENT, useValue: openApiDocument(services.controllers) },
      { provide: APP_GUARD, useValue: new BearerAuthGuard(inventoryTokenAuthenticator(services.inventory.tokens)) },
      { provide: CLUSTER_STATE, useValue: services.kubernetes?.state ?? null },
      ScopeMetrics,
      BudgetOverridesService,
      ScopesService,
      TenantsService,
      TopologyService,
    ];
    return {
      module: ControlPlaneModule,
      imports: [KubernetesModule.register(services.kubernetes ?? null), ...(services.modules ?? [])],
      controllers: [...CONTROLLERS, ...(services.controllers ?? [])],
      providers,
    };
  }
}
