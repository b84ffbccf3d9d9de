import { z } from 'zod';
import { defineRoute } from '../http/route-spec';

const checkSchema = z.object({ ok: z.boolean(), detail: z.string().optional() });

export const readinessSchema = z.object({
  ready: z.boolean(),
  checks: z.record(z.string(), checkSchema),
});

export const healthRoutes = {
  liveness: defineRoute({
    operationId: 'getHealth',
    method: 'GET',
    path: '/healthz',
    tag: 'operations',
    summary: 'Liveness: the process is up and serving HTTP',
    access: 'public',
    success: { status: 200, description: 'The process is up', schema: z.object({ status: z.literal('ok') }) },
  }),
  readiness: defineRoute({
    operationId: 'getReadiness',
    method: 'GET',
    path: '/readyz',
    tag: 'operations',
    summary: 'Readiness: database reachable and migrated (503 with the failing checks otherwise)',
    access: 'public',
    success: { status: 200, description: 'Ready to serve traffic', schema: readinessSchema },
    problems: [503],
  }),
  metrics: defineRoute({
    operationId: 'getMetrics',
    method: 'GET',
    path: '/metrics',
    tag: 'operations',
    summary: 'Prometheus metrics (text exposition format)',
    access: 'public',
    success: { status: 200, description: 'Metrics', mediaType: 'text/plain; version=0.0.4', schema: z.string() },
  }),
};
