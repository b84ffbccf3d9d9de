/* eslint-disable @typescript-eslint/no-explicit-any -- these tests read loosely typed Kubernetes JSON */
/** A CRD shaped like Switchyard's ModelDeployment (status and scale subresources, printer columns, a structural schema). */
export function widgetCrd(versions: string[] = ['v1alpha1']): Record<string, any> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.io' },
    spec: {
      group: 'example.io',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'] },
      versions: versions.map((name, i) => ({
        name,
        served: true,
        storage: i === 0,
        subresources: {
          status: {},
          scale: {
            specReplicasPath: '.spec.replicas',
            statusReplicasPath: '.status.replicas',
            labelSelectorPath: '.status.selector',
          },
        },
        additionalPrinterColumns: [
          { name: 'Model', type: 'string', jsonPath: '.spec.model' },
          { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
          { name: 'Placed', type: 'string', jsonPath: '.status.conditions[?(@.type=="Placed")].status' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['model'],
                properties: {
                  model: { type: 'string', minLength: 1 },
                  replicas: { type: 'integer', minimum: 0, maximum: 1000, default: 1 },
                  priority: { type: 'string', enum: ['critical', 'high', 'standard', 'batch', 'best-effort'] },
                  gpuMilli: { 'x-kubernetes-int-or-string': true },
                  products: { type: 'array', maxItems: 2, items: { type: 'string', pattern: '^NVIDIA-' } },
                  template: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
              status: {
                type: 'object',
                properties: {
                  observedGeneration: { type: 'integer' },
                  replicas: { type: 'integer' },
                  selector: { type: 'string' },
                  conditions: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: { type: { type: 'string' }, status: { type: 'string' }, message: { type: 'string' } },
                    },
                  },
                },
              },
            },
          },
        },
      })),
    },
  };
}

/** A Widget object (an instance of `widgetCrd`, served version v1alpha1). */
export function widget(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'example.io/v1alpha1', kind: 'Widget', metadata: { name }, spec };
}
