/**
 * The data-center topology document (`kind: Topology`): the power scope tree
 * (site > halls > rows > racks), the GPU product catalog, and the nodes with their GPUs.
 *
 * This file is the shape only (strict objects, so an unknown key is an error); the rules
 * that span several objects (unique names, references, idle <= max) live in
 * `topology-rules.ts`. Both run on every document through `validateTopology`.
 */
import { z } from 'zod';
import { INT4_MAX } from '../api/common';

export const TOPOLOGY_API_VERSION = 'switchyard.io/v1alpha1';
export const TOPOLOGY_KIND = 'Topology';

/** Kubernetes label values, which scope and product names become (`switchyard.io/rack=<name>`). */
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** Kubernetes node names are RFC 1123 DNS subdomains. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** The form `nvidia-smi -L` prints: `GPU-` and an RFC 4122 UUID. */
export const GPU_UUID_PATTERN = /^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The most GPUs one node may carry; the placement engine packs at most 8 per pod. */
export const MAX_GPUS_PER_NODE = 16;

const labelValueName = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(
    LABEL_VALUE,
    'must be a valid Kubernetes label value (letters, digits, "-", "_", "." and start and end with a letter or digit)',
  );

const nodeName = z
  .string()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .regex(DNS_SUBDOMAIN, 'must be a valid Kubernetes node name (lower-case RFC 1123 subdomain)');

/** Watts, MiB and milli-CPU are stored in int4 columns: a larger value is refused here, by path, not by the database. */
const storedInt = z.int().max(INT4_MAX);
const watts = storedInt.positive();
const nonNegativeWatts = storedInt.nonnegative();
const oversubscriptionRatio = z.number().min(1).max(10).default(1);

export const topologySiteSchema = z.strictObject({
  name: labelValueName,
  capacityWatts: watts,
  oversubscriptionRatio,
});

export const topologyGpuProductSchema = z.strictObject({
  /** As GPU feature discovery labels it (`nvidia.com/gpu.product`), e.g. `NVIDIA-H200`. */
  name: labelValueName,
  memoryMiB: storedInt.positive(),
  tdpWatts: watts,
  minPowerLimitWatts: watts,
  maxPowerLimitWatts: watts,
});

export const topologyRackSchema = z.strictObject({
  name: labelValueName,
  capacityWatts: watts,
  oversubscriptionRatio,
});

export const topologyRowSchema = z.strictObject({
  name: labelValueName,
  capacityWatts: watts,
  oversubscriptionRatio,
  racks: z.array(topologyRackSchema),
});

export const topologyHallSchema = z.strictObject({
  name: labelValueName,
  capacityWatts: watts,
  oversubscriptionRatio,
  rows: z.array(topologyRowSchema),
});

/** `gpus: { product, count }`: `count` identical GPUs, indices 0..count-1, UUIDs from `deriveGpuUuid`. */
export const topologyGpuCountSchema = z.strictObject({
  product: z.string().min(1, 'must not be empty'),
  count: z.int().min(1).max(MAX_GPUS_PER_NODE),
});

/** One GPU listed explicitly, with the UUID the device reports. */
export const topologyGpuEntrySchema = z.strictObject({
  index: z
    .int()
    .min(0)
    .max(MAX_GPUS_PER_NODE - 1),
  uuid: z.string().regex(GPU_UUID_PATTERN, 'must look like GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (lower-case hex)'),
  product: z.string().min(1, 'must not be empty'),
});

export const topologyNodeGpusSchema = z.union([
  topologyGpuCountSchema,
  z.array(topologyGpuEntrySchema).min(1).max(MAX_GPUS_PER_NODE),
]);

export const topologyNodeSchema = z.strictObject({
  /** The Kubernetes node name. */
  name: nodeName,
  /** Name of the rack the node is in. */
  rack: z.string().min(1, 'must not be empty'),
  cpuMilli: storedInt.positive(),
  memoryMiB: storedInt.positive(),
  idleWatts: nonNegativeWatts,
  maxWatts: watts,
  labels: z.record(z.string(), z.string()).default({}),
  /** Absent for a node without GPUs. */
  gpus: topologyNodeGpusSchema.optional(),
});

export const topologyDocumentSchema = z.strictObject({
  apiVersion: z.literal(TOPOLOGY_API_VERSION),
  kind: z.literal(TOPOLOGY_KIND),
  site: topologySiteSchema,
  gpuProducts: z.array(topologyGpuProductSchema),
  halls: z.array(topologyHallSchema).min(1),
  nodes: z.array(topologyNodeSchema),
});

/** A validated topology document, defaults applied (oversubscriptionRatio 1.0, labels {}). */
export type TopologyDocument = z.output<typeof topologyDocumentSchema>;
/** What an author may write (defaults optional). */
export type TopologyDocumentInput = z.input<typeof topologyDocumentSchema>;
export type TopologySite = TopologyDocument['site'];
export type TopologyGpuProduct = TopologyDocument['gpuProducts'][number];
export type TopologyHall = TopologyDocument['halls'][number];
export type TopologyRow = TopologyHall['rows'][number];
export type TopologyRack = TopologyRow['racks'][number];
export type TopologyNode = TopologyDocument['nodes'][number];
export type TopologyNodeGpus = NonNullable<TopologyNode['gpus']>;
export type TopologyGpuCount = z.output<typeof topologyGpuCountSchema>;
export type TopologyGpuEntry = z.output<typeof topologyGpuEntrySchema>;
