import { Controller, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ControlPlaneMetrics } from '@switchyard/telemetry';
import { Endpoint } from '../http/endpoint';
import { sendCompressible } from './compressed-body';
import { healthRoutes } from './health.routes';
import { READINESS_CHECKS, evaluateReadiness, type Readiness, type ReadinessCheck } from './readiness';

/** The open operational endpoints: liveness, readiness and Prometheus metrics. */
@Controller()
export class HealthController {
  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    @Inject(ControlPlaneMetrics) private readonly metrics: ControlPlaneMetrics,
  ) {}

  @Endpoint(healthRoutes.liveness)
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Endpoint(healthRoutes.readiness)
  async readiness(@Res({ passthrough: true }) response: Response): Promise<Readiness> {
    const readiness = await evaluateReadiness(this.checks);
    // Readiness is a status report, not an error: the JSON body has the same shape either way.
    if (!readiness.ready) response.status(503);
    response.setHeader('Cache-Control', 'no-store');
    return readiness;
  }

  @Endpoint(healthRoutes.metrics)
  async scrape(@Req() request: Request, @Res() response: Response): Promise<void> {
    const { contentType, body } = await this.metrics.exposition();
    await sendCompressible(request, response.status(200).type(contentType), body);
  }
}
