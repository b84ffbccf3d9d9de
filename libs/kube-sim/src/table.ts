import type { KubeObject, ResourceType } from './resource-type';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** What the client asked for in `Accept`: a meta.k8s.io Table (server-side printing, as `kubectl get` asks) or plain JSON. */
export function wantsTable(accept: string | undefined): string | undefined {
  if (!accept || !accept.includes('as=Table')) return undefined;
  for (const part of accept.split(',')) {
    const params = new Map(
      part
        .split(';')
        .slice(1)
        .map((p) => p.trim().split('=') as [string, string]),
    );
    if (
      params.get('as') === 'Table' &&
      params.get('g') === 'meta.k8s.io' &&
      (params.get('v') === 'v1' || params.get('v') === 'v1beta1')
    ) {
      return `meta.k8s.io/${params.get('v')}`;
    }
  }
  return undefined;
}

/** Renders objects as the apiserver's Table, using the type's printer columns (a CRD's additionalPrinterColumns). */
export function toTable(
  type: ResourceType,
  version: string,
  apiVersion: string,
  objects: KubeObject[],
  resourceVersion: string,
  includeObject: IncludeObject,
  now: number,
  continueToken?: string,
): Record<string, unknown> {
  const columns = type.printerColumns(version);
  const metadata: Record<string, unknown> = { resourceVersion };
  if (continueToken) metadata.continue = continueToken;
  return {
    kind: 'Table',
    apiVersion,
    metadata,
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type === 'date' ? 'string' : c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => {
        const v = c.cell ? c.cell(o, now) : undefined;
        return v === undefined ? null : v;
      }),
      object: rowObject(o, includeObject),
    })),
  };
}

function rowObject(o: KubeObject, includeObject: IncludeObject): unknown {
  if (includeObject === 'None') return undefined;
  if (includeObject === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}
