import { z } from 'zod';

const upsertCounts = z.object({ created: z.int(), updated: z.int(), unchanged: z.int() });

export const topologyImportSummarySchema = z.object({
  site: z.string(),
  gpuProducts: upsertCounts,
  scopes: upsertCounts,
  nodes: upsertCounts,
  gpus: upsertCounts.extend({ removed: z.int() }),
});

/** The body is a Topology document (YAML or JSON); see `deploy/examples/topology-demo.yaml`. */
export const TOPOLOGY_MEDIA_TYPES = [
  'application/json',
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
] as const;
/** A 15,000-node campus is about 10 MB of YAML; this leaves room without inviting abuse. */
export const TOPOLOGY_BODY_LIMIT_BYTES = 64 * 1024 * 1024;
