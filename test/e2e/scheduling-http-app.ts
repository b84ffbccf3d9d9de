/**
 * The scheduling REST API through HTTP with the app's own auth guard, problem filter and
 * validation, until the app module imports KubernetesModule (then `createApp` serves it too).
 */
import { Module, type INestApplication } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { Inventory } from '@switchyard/inventory';
import { BearerAuthGuard } from '../../apps/control-plane/src/auth/bearer-auth.guard';
import { inventoryTokenAuthenticator } from '../../apps/control-plane/src/auth/inventory-token-authenticator';
import { inventoryProblem } from '../../apps/control-plane/src/http/inventory-problems';
import { ProblemFilter } from '../../apps/control-plane/src/http/problem.filter';
import { KubernetesModule, SCHEDULING_CONTROLLERS } from '../../apps/control-plane/src/kubernetes/kubernetes.module';
import type { KubernetesRuntime } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import { createRootLogger, loggerFor } from '../../apps/control-plane/src/logging/logger';

export async function schedulingHttpApp(
  inventory: Inventory,
  runtime: KubernetesRuntime | null,
): Promise<{ app: INestApplication; token: (role: 'viewer' | 'admin') => Promise<string> }> {
  @Module({
    imports: [KubernetesModule.register(runtime)],
    controllers: SCHEDULING_CONTROLLERS,
    providers: [
      { provide: Inventory, useValue: inventory },
      { provide: APP_GUARD, useValue: new BearerAuthGuard(inventoryTokenAuthenticator(inventory.tokens)) },
    ],
  })
  class SchedulingHttpTestModule {}
  const app = await NestFactory.create(SchedulingHttpTestModule, { logger: false });
  app.useGlobalFilters(new ProblemFilter(loggerFor(createRootLogger('silent'), ProblemFilter), [inventoryProblem]));
  await app.init();
  return {
    app,
    token: async (role) =>
      (await inventory.tokens.create({ name: `e2e-${role}-${Math.random()}`, role }, { actor: 'test' })).token,
  };
}
