import * as path from 'node:path';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { authorizeBeforeBody } from './auth/bearer-auth.guard';
import { inventoryTokenAuthenticator } from './auth/inventory-token-authenticator';
import { ControlPlaneModule, apiRoutes, type ControlPlaneServices } from './control-plane.module';
import { CreatedInterceptor } from './http/created.interceptor';
import { ProblemFilter } from './http/problem.filter';
import { inventoryProblem } from './http/inventory-problems';
import { jsonBody } from './http/json-body';
import { type ErrorTranslator } from './http/problem-response';
import { markRoute, requestObserver } from './http/request-observer';
import { DEFAULT_BODY_LIMIT_BYTES, JSON_MEDIA_TYPE, type RouteSpec } from './http/route-spec';
import { NestPinoLogger, loggerFor } from './logging/logger';
import { DOCS_ASSETS_PATH } from './openapi/docs.controller';

/** Lower layers' typed errors that become problems (404, 409, 422 ...), besides ProblemErrors. */
const ERROR_TRANSLATORS: ErrorTranslator[] = [inventoryProblem];

/**
 * The control plane's HTTP application, initialised but not listening: `startControlPlane`
 * listens on the configured port, tests hand it to supertest. The caller closes it.
 */
export async function createApp(services: ControlPlaneServices): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ControlPlaneModule.register(services), {
    // Bodies are parsed below, per route, with limits and media types from the RouteSpecs.
    bodyParser: false,
    logger: new NestPinoLogger(services.log),
    abortOnError: false,
  });
  app.disable('x-powered-by');
  const tokens = inventoryTokenAuthenticator(services.inventory.tokens);
  app.use(requestObserver(loggerFor(services.log, 'HttpRequests'), services.metrics));
  app.use(DOCS_ASSETS_PATH, markRoute(`${DOCS_ASSETS_PATH}/*`), express.static(swaggerUiAssets(), { index: false }));
  for (const route of apiRoutes(services.controllers)) {
    if (route.body && route.bodyLimitBytes !== undefined) {
      app.use(route.path, authorizeBeforeBody(route, tokens), ...bodyParsers(route));
    }
  }
  app.use(...jsonBody(DEFAULT_BODY_LIMIT_BYTES, [JSON_MEDIA_TYPE]));
  app.useGlobalFilters(new ProblemFilter(loggerFor(services.log, ProblemFilter), ERROR_TRANSLATORS));
  app.useGlobalInterceptors(new CreatedInterceptor());
  await app.init();
  return app;
}

/** Parsers for a route with its own body limit: JSON, and plain text for YAML media types. */
function bodyParsers(route: RouteSpec): express.RequestHandler[] {
  const limit = route.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const types = route.bodyMediaTypes ?? [JSON_MEDIA_TYPE];
  const jsonTypes = types.filter((t) => t === JSON_MEDIA_TYPE || t.endsWith('+json'));
  const textTypes = types.filter((t) => !jsonTypes.includes(t));
  return [
    ...(jsonTypes.length > 0 ? jsonBody(limit, jsonTypes) : []),
    ...(textTypes.length > 0 ? [express.text({ limit, type: textTypes })] : []),
  ];
}

function swaggerUiAssets(): string {
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}
