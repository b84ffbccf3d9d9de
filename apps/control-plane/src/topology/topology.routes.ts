import {
  parseTopology,
  topologyDocumentSchema,
  validateTopology,
  type TopologyDocument,
  API_PREFIX,
  TOPOLOGY_BODY_LIMIT_BYTES,
  TOPOLOGY_MEDIA_TYPES,
  topologyImportQuerySchema,
  topologyImportSummarySchema,
} from '@switchyard/contracts';
import { defineRoute } from '../http/route-spec';

/** YAML arrives as text, JSON already parsed; both get every shape and reference problem listed. */
function parseTopologyBody(raw: unknown): TopologyDocument {
  return typeof raw === 'string' ? parseTopology(raw) : validateTopology(raw);
}

export const topologyRoutes = {
  import: defineRoute({
    operationId: 'importTopology',
    method: 'PUT',
    path: `${API_PREFIX}/topology`,
    tag: 'topology',
    summary: 'Load a data-center topology (YAML or JSON): idempotent upsert in one transaction',
    description:
      'Scopes are matched by path, nodes by name, GPUs by UUID. An invalid document is rejected with every problem ' +
      'listed by path (e.g. `halls[1].rows[3].racks[0].capacityWatts: must be > 0`) and nothing is written; so is ' +
      'a document of another site than the one the database holds (one site per database). A change that would ' +
      'move a node holding allocations to another rack, or remove, re-type or shrink an allocated GPU, is a 409 ' +
      'listing every conflict, and nothing is written. Scopes and nodes absent from the document are kept, unless ' +
      '`prune=true` (refused with a 409 listing them while any holds allocations).',
    access: 'admin',
    query: topologyImportQuerySchema,
    body: topologyDocumentSchema,
    parseBody: parseTopologyBody,
    bodyMediaTypes: TOPOLOGY_MEDIA_TYPES,
    bodyLimitBytes: TOPOLOGY_BODY_LIMIT_BYTES,
    success: {
      status: 200,
      description: 'What was created, updated and left unchanged',
      schema: topologyImportSummarySchema,
    },
    problems: [409],
  }),
};
