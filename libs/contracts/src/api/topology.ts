import { z } from 'zod';
import { booleanQuery } from './common';

const upsertCounts = z.object({ created: z.int(), updated: z.int(), unchanged: z.int() });
const withRemoved = upsertCounts.extend({ removed: z.int() });

export const topologyImportSummarySchema = z.object({
  site: z.string(),
  gpuProducts: upsertCounts,
  scopes: withRemoved.meta({ description: 'removed: absent from the document and pruned (only with prune=true)' }),
  nodes: withRemoved.meta({ description: 'removed: absent from the document and pruned (only with prune=true)' }),
  gpus: withRemoved,
});

export const topologyImportQuerySchema = z.strictObject({
  prune: booleanQuery.optional().meta({
    description:
      'true: also remove the nodes and scopes the document does not list (refused, with the list, while any holds allocations)',
  }),
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
