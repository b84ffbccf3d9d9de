import { API_PREFIX, auditListQuerySchema, auditPageSchema } from '@switchyard/contracts';
import { defineRoute } from '../http/route-spec';

export const auditRoutes = {
  list: defineRoute({
    operationId: 'listAuditEvents',
    method: 'GET',
    path: `${API_PREFIX}/audit-events`,
    tag: 'audit',
    summary: 'The audit log, newest first; filter by actor, action and time range',
    access: 'viewer',
    query: auditListQuerySchema,
    success: { status: 200, description: 'A page of audit events', schema: auditPageSchema },
  }),
};
