/**
 * Rules that span several objects of a topology document: unique names, references that
 * must resolve, and orderings between fields. They read the raw input defensively (only
 * fields of the right type are checked), so that a document with both shape and rule
 * problems reports all of them in one pass.
 */
import { deriveGpuUuid } from './gpu-uuid';
import { isPlainObject } from './shape-problems';
import type { TopologyProblem } from './topology-problem';

/** Labels Switchyard derives from the topology itself; a document may not set them. */
export const DERIVED_NODE_LABELS: readonly string[] = [
  'switchyard.io/site',
  'switchyard.io/hall',
  'switchyard.io/row',
  'switchyard.io/rack',
  'nvidia.com/gpu.product',
  'nvidia.com/gpu.memory',
  'nvidia.com/gpu.count',
];
const derivedLabels = new Set(DERIVED_NODE_LABELS);

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

type ScopeKind = 'site' | 'hall' | 'row' | 'rack';

export function topologyRuleProblems(doc: unknown): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  if (!isPlainObject(doc)) return problems;
  const report = (path: string, message: string) => problems.push({ path, message });

  // Scope names: one namespace for the whole site, since rules and labels refer to a scope by name alone.
  const scopes = new Map<string, { kind: ScopeKind; path: string }>();
  const claimScope = (name: unknown, kind: ScopeKind, path: string) => {
    if (typeof name !== 'string' || name === '') return;
    const first = scopes.get(name);
    if (first)
      report(
        `${path}.name`,
        `duplicate scope name ${JSON.stringify(name)} (already used by the ${first.kind} at ${first.path})`,
      );
    else scopes.set(name, { kind, path });
  };
  if (isPlainObject(doc.site)) claimScope(doc.site.name, 'site', 'site');
  forEach(doc.halls, (hall, h) => {
    const hallPath = `halls[${h}]`;
    claimScope(hall.name, 'hall', hallPath);
    forEach(hall.rows, (row, r) => {
      const rowPath = `${hallPath}.rows[${r}]`;
      claimScope(row.name, 'row', rowPath);
      forEach(row.racks, (rack, k) => claimScope(rack.name, 'rack', `${rowPath}.racks[${k}]`));
    });
  });

  const products = new Map<string, string>();
  forEach(doc.gpuProducts, (product, i) => {
    const path = `gpuProducts[${i}]`;
    if (typeof product.name === 'string' && product.name !== '') {
      const first = products.get(product.name);
      if (first)
        report(`${path}.name`, `duplicate GPU product ${JSON.stringify(product.name)} (already defined at ${first})`);
      else products.set(product.name, path);
    }
    const { minPowerLimitWatts: min, maxPowerLimitWatts: max, tdpWatts: tdp } = product;
    if (isNumber(min) && isNumber(max) && min > max) {
      report(`${path}.minPowerLimitWatts`, `must be <= maxPowerLimitWatts (${min} > ${max})`);
    } else if (isNumber(min) && isNumber(max) && isNumber(tdp) && (tdp < min || tdp > max)) {
      report(
        `${path}.tdpWatts`,
        `must be between minPowerLimitWatts and maxPowerLimitWatts (${min}..${max}), not ${tdp}`,
      );
    }
  });

  const checkProduct = (product: unknown, path: string) => {
    if (typeof product === 'string' && product !== '' && !products.has(product)) {
      report(path, `unknown GPU product ${JSON.stringify(product)} (not in gpuProducts)`);
    }
  };

  const nodeNames = new Map<string, string>();
  // GPU UUIDs: listed ones against each other and against the derived UUIDs of `{ product, count }` nodes.
  const listedUuids = new Map<string, string>();
  const countedNodes: Array<{ name: string; count: number; path: string }> = [];
  forEach(doc.nodes, (node, n) => {
    const path = `nodes[${n}]`;
    if (typeof node.name === 'string' && node.name !== '') {
      const first = nodeNames.get(node.name);
      if (first) report(`${path}.name`, `duplicate node name ${JSON.stringify(node.name)} (already used at ${first})`);
      else nodeNames.set(node.name, path);
    }
    if (typeof node.rack === 'string' && node.rack !== '') {
      const scope = scopes.get(node.rack);
      if (!scope) report(`${path}.rack`, `unknown rack ${JSON.stringify(node.rack)}`);
      else if (scope.kind !== 'rack')
        report(`${path}.rack`, `${JSON.stringify(node.rack)} is a ${scope.kind}, not a rack`);
    }
    if (isNumber(node.idleWatts) && isNumber(node.maxWatts) && node.idleWatts > node.maxWatts) {
      report(`${path}.idleWatts`, `must be <= maxWatts (${node.idleWatts} > ${node.maxWatts})`);
    }
    if (isPlainObject(node.labels)) checkLabels(node.labels, `${path}.labels`, report);

    const gpus = node.gpus;
    if (isPlainObject(gpus)) {
      checkProduct(gpus.product, `${path}.gpus.product`);
      if (typeof node.name === 'string' && Number.isInteger(gpus.count) && (gpus.count as number) > 0) {
        countedNodes.push({ name: node.name, count: Math.min(gpus.count as number, 64), path: `${path}.gpus` });
      }
    } else if (Array.isArray(gpus)) {
      const indices = new Map<number, number>();
      let nodeProduct: { name: string; at: number } | undefined;
      gpus.forEach((gpu, g) => {
        if (!isPlainObject(gpu)) return;
        const gpuPath = `${path}.gpus[${g}]`;
        checkProduct(gpu.product, `${gpuPath}.product`);
        if (typeof gpu.product === 'string' && gpu.product !== '') {
          if (!nodeProduct) nodeProduct = { name: gpu.product, at: g };
          else if (gpu.product !== nodeProduct.name) {
            report(
              `${gpuPath}.product`,
              `all GPUs of a node must be the same product (gpus[${nodeProduct.at}] is ${JSON.stringify(nodeProduct.name)})`,
            );
          }
        }
        if (Number.isInteger(gpu.index)) {
          const index = gpu.index as number;
          const first = indices.get(index);
          if (first !== undefined)
            report(`${gpuPath}.index`, `duplicate GPU index ${index} (already used by gpus[${first}])`);
          else indices.set(index, g);
          if (index >= gpus.length)
            report(`${gpuPath}.index`, `must be < ${gpus.length}: a node's GPU indices are 0..${gpus.length - 1}`);
        }
        if (typeof gpu.uuid === 'string' && gpu.uuid !== '') {
          const first = listedUuids.get(gpu.uuid);
          if (first) report(`${gpuPath}.uuid`, `duplicate GPU UUID ${gpu.uuid} (already used at ${first})`);
          else listedUuids.set(gpu.uuid, gpuPath);
        }
      });
    }
  });
  // Derived UUIDs cannot collide with each other (distinct names), only with listed ones.
  if (listedUuids.size > 0) {
    for (const { name, count, path } of countedNodes) {
      for (let i = 0; i < count; i++) {
        const uuid = deriveGpuUuid(name, i);
        const listed = listedUuids.get(uuid);
        if (listed) report(`${listed}.uuid`, `duplicate GPU UUID ${uuid} (derived for GPU ${i} of ${path})`);
      }
    }
  }
  return problems;
}

function checkLabels(
  labels: Record<string, unknown>,
  path: string,
  report: (path: string, message: string) => void,
): void {
  for (const [key, value] of Object.entries(labels)) {
    const keyPath = `${path}[${JSON.stringify(key)}]`;
    if (derivedLabels.has(key)) {
      report(keyPath, 'is derived from the topology (rack, row, hall, GPUs) and may not be set');
      continue;
    }
    const problem = labelKeyProblem(key);
    if (problem) report(keyPath, problem);
    if (typeof value === 'string' && value !== '' && (value.length > 63 || !LABEL_NAME.test(value))) {
      report(
        keyPath,
        'value must be a valid Kubernetes label value (at most 63 letters, digits, "-", "_", ".", starting and ending with a letter or digit)',
      );
    }
  }
}

function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return 'key prefix must be a lower-case DNS subdomain (as in "example.com/name")';
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return 'key must be a valid Kubernetes label name (at most 63 letters, digits, "-", "_", ".", optionally prefixed by a DNS subdomain and "/")';
  }
  return undefined;
}

function forEach(list: unknown, visit: (item: Record<string, unknown>, index: number) => void): void {
  if (!Array.isArray(list)) return;
  list.forEach((item, i) => {
    if (isPlainObject(item)) visit(item, i);
  });
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
