import { type DynamicModule, Module } from '@nestjs/common';
import { KUBERNETES_RUNTIME, SchedulingController } from '../scheduling/scheduling.controller';
import type { KubernetesRuntime } from './kubernetes-runtime';

/** The scheduling read API's controllers; listed in the app's CONTROLLERS so the OpenAPI document includes them. */
export const SCHEDULING_CONTROLLERS = [SchedulingController];

/**
 * Provides the Kubernetes runtime (or null when the control plane runs without Kubernetes)
 * to the scheduling controllers. The app module imports `KubernetesModule.register(runtime)`.
 */
@Module({})
export class KubernetesModule {
  static register(runtime: KubernetesRuntime | null): DynamicModule {
    return {
      module: KubernetesModule,
      global: true,
      providers: [{ provide: KUBERNETES_RUNTIME, useValue: runtime }],
      exports: [KUBERNETES_RUNTIME],
    };
  }
}
