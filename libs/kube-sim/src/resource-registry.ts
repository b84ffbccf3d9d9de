import { invalid, type StatusCause } from './api-error';
import { builtinResourceTypes, humanAge } from './builtin-types';
import { evaluateJsonPath } from './json-path';
import {
  ALL_VERBS,
  typeKey,
  type JsonObject,
  type KubeObject,
  type PrinterColumn,
  type ResourceType,
} from './resource-type';
import { compileStructuralSchema, type CompiledSchema, type StructuralSchema } from './structural-schema';

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: StructuralSchema };
  subresources?: {
    status?: object;
    scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  };
  additionalPrinterColumns?: {
    name: string;
    type: string;
    jsonPath: string;
    description?: string;
    priority?: number;
    format?: string;
  }[];
}

interface CrdSpec {
  group: string;
  scope: string;
  names: {
    plural: string;
    singular?: string;
    kind: string;
    listKind?: string;
    shortNames?: string[];
    categories?: string[];
  };
  versions: CrdVersion[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Every resource type served: the built-in ones and one per established CustomResourceDefinition. */
export class ResourceRegistry {
  private readonly byKey = new Map<string, ResourceType>();
  private readonly schemas = new Map<string, Map<string, CompiledSchema>>();
  /** Bumped whenever the set of types changes, so discovery answers can be cached. */
  generation = 0;

  constructor() {
    for (const t of builtinResourceTypes()) this.byKey.set(typeKey(t.group, t.plural), t);
  }

  all(): ResourceType[] {
    return [...this.byKey.values()];
  }

  byTypeKey(key: string): ResourceType | undefined {
    return this.byKey.get(key);
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    const t = this.byKey.get(typeKey(group, plural));
    return t && t.versions.includes(version) ? t : undefined;
  }

  findKind(group: string, kind: string): ResourceType | undefined {
    for (const t of this.byKey.values()) if (t.group === group && t.kind === kind) return t;
    return undefined;
  }

  /** Group -> versions served, in a stable order (preferred version first). */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const t of this.byKey.values()) {
      const versions = out.get(t.group) ?? [];
      for (const v of t.versions) if (!versions.includes(v)) versions.push(v);
      out.set(t.group, versions);
    }
    for (const versions of out.values()) versions.sort(compareKubeVersions);
    return out;
  }

  schemaFor(type: ResourceType, version: string): CompiledSchema | undefined {
    return type.crdName ? this.schemas.get(type.crdName)?.get(version) : undefined;
  }

  /** Checks a CustomResourceDefinition as the apiserver would before accepting it; throws 422 listing every problem. */
  validateCrd(crd: KubeObject): void {
    const causes: StatusCause[] = [];
    const spec = crd.spec as Partial<CrdSpec> | undefined;
    const name = crd.metadata.name ?? '';
    const bad = (field: string, message: string, reason = 'FieldValueInvalid'): number =>
      causes.push({ field, message, reason });
    if (!spec || typeof spec !== 'object') bad('spec', 'Required value', 'FieldValueRequired');
    else {
      if (!spec.group) bad('spec.group', 'Required value', 'FieldValueRequired');
      else if (!DNS_SUBDOMAIN.test(spec.group) || !spec.group.includes('.'))
        bad('spec.group', `Invalid value: "${spec.group}": should be a domain with at least one dot`);
      if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
        bad(
          'spec.scope',
          `Unsupported value: "${String(spec.scope)}": supported values: "Cluster", "Namespaced"`,
          'FieldValueNotSupported',
        );
      const names = spec.names;
      if (!names?.plural) bad('spec.names.plural', 'Required value', 'FieldValueRequired');
      else if (!DNS_LABEL.test(names.plural))
        bad(
          'spec.names.plural',
          `Invalid value: "${names.plural}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`,
        );
      if (!names?.kind) bad('spec.names.kind', 'Required value', 'FieldValueRequired');
      if (names?.plural && spec.group && name !== `${names.plural}.${spec.group}`)
        bad('metadata.name', `Invalid value: "${name}": must be spec.names.plural+"."+spec.group`);
      const versions = Array.isArray(spec.versions) ? spec.versions : [];
      if (versions.length === 0)
        bad('spec.versions', 'Invalid value: null: must have exactly one version marked as storage version');
      else if (versions.filter((v) => v.storage).length !== 1)
        bad('spec.versions', 'Invalid value: must have exactly one version marked as storage version');
      versions.forEach((v, i) => {
        if (!v.name || !DNS_LABEL.test(v.name))
          bad(`spec.versions[${i}].name`, `Invalid value: "${String(v.name)}": must be a DNS label`);
        if (!v.schema?.openAPIV3Schema)
          bad(
            `spec.versions[${i}].schema.openAPIV3Schema`,
            'Required value: schemas are required',
            'FieldValueRequired',
          );
        else {
          try {
            compileStructuralSchema(v.schema.openAPIV3Schema);
          } catch (e) {
            bad(`spec.versions[${i}].schema.openAPIV3Schema`, `Invalid value: ${(e as Error).message}`);
          }
        }
        (v.additionalPrinterColumns ?? []).forEach((c, j) => {
          try {
            evaluateJsonPath({}, c.jsonPath);
          } catch (e) {
            bad(
              `spec.versions[${i}].additionalPrinterColumns[${j}].jsonPath`,
              `Invalid value: "${c.jsonPath}": ${(e as Error).message}`,
            );
          }
        });
      });
    }
    if (causes.length > 0) throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', name, causes);
  }

  /** Starts (or updates) serving the resources of a CRD; returns the type key of its objects. */
  serveCrd(crd: KubeObject): ResourceType {
    const spec = crd.spec as CrdSpec;
    const served = spec.versions.filter((v) => v.served !== false).sort((a, b) => compareKubeVersions(a.name, b.name));
    const storage = spec.versions.find((v) => v.storage) ?? served[0];
    const columnsByVersion = new Map<string, PrinterColumn[]>();
    const schemas = new Map<string, CompiledSchema>();
    for (const v of served) {
      columnsByVersion.set(v.name, crdColumns(v));
      if (v.schema?.openAPIV3Schema) schemas.set(v.name, compileStructuralSchema(v.schema.openAPIV3Schema));
    }
    const name = crd.metadata.name as string;
    const subresources = storage.subresources ?? {};
    const type: ResourceType = {
      group: spec.group,
      versions: served.map((v) => v.name),
      kind: spec.names.kind,
      listKind: spec.names.listKind ?? `${spec.names.kind}List`,
      plural: spec.names.plural,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
      namespaced: spec.scope === 'Namespaced',
      shortNames: spec.names.shortNames ?? [],
      categories: spec.names.categories ?? [],
      verbs: ALL_VERBS,
      hasStatus: subresources.status !== undefined,
      scale: subresources.scale,
      extraSubresources: [],
      printerColumns: (version) => columnsByVersion.get(version) ?? defaultCrColumns(),
      crdName: name,
      strategicMerge: false,
    };
    this.byKey.set(typeKey(type.group, type.plural), type);
    this.schemas.set(name, schemas);
    this.generation++;
    return type;
  }

  stopServingCrd(crd: KubeObject): string | undefined {
    const spec = crd.spec as CrdSpec;
    const key = typeKey(spec.group, spec.names.plural);
    const type = this.byKey.get(key);
    if (!type || type.crdName !== crd.metadata.name) return undefined;
    this.byKey.delete(key);
    this.schemas.delete(crd.metadata.name as string);
    this.generation++;
    return key;
  }
}

function defaultCrColumns(): PrinterColumn[] {
  return [
    {
      name: 'Name',
      type: 'string',
      format: 'name',
      description: 'Name must be unique within a namespace.',
      cell: (o) => o.metadata.name,
    },
    {
      name: 'Age',
      type: 'date',
      description: 'CreationTimestamp',
      cell: (o, now) => humanAge(o.metadata.creationTimestamp, now),
    },
  ];
}

function crdColumns(version: CrdVersion): PrinterColumn[] {
  const extra = version.additionalPrinterColumns;
  if (!extra || extra.length === 0) return defaultCrColumns();
  return [
    defaultCrColumns()[0],
    ...extra.map((c): PrinterColumn => ({
      name: c.name,
      type: c.type,
      format: c.format,
      description: c.description ?? '',
      priority: c.priority ?? 0,
      jsonPath: c.jsonPath,
      cell: (o: KubeObject, now: number) => crCell(o as JsonObject, c.type, c.jsonPath, now),
    })),
  ];
}

/** A printer cell as the apiserver renders it: dates become ages, missing values null (printed as `<none>`). */
function crCell(object: JsonObject, type: string, jsonPath: string, now: number): unknown {
  const values = evaluateJsonPath(object, jsonPath);
  if (values.length === 0) return null;
  const value =
    values.length === 1
      ? values[0]
      : values.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
  if (type === 'date') return humanAge(value, now);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  if ((type === 'integer' || type === 'number') && typeof value === 'number') return value;
  if (type === 'boolean' && typeof value === 'boolean') return value;
  return String(value);
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (v1 > v1beta2 > v1beta1 > v1alpha1). */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [-1, 0, 0];
    return [Number(m[1]), m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2, Number(m[3] ?? 0)];
  };
  const [ma, sa, na] = parse(a);
  const [mb, sb, nb] = parse(b);
  if (ma < 0 || mb < 0) return ma < 0 && mb < 0 ? a.localeCompare(b) : ma < 0 ? 1 : -1;
  if (sa !== sb) return sb - sa;
  if (ma !== mb) return mb - ma;
  return nb - na;
}
