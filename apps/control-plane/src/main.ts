import { type AddressInfo } from 'node:net';
import { type INestApplication } from '@nestjs/common';
import { formatTopologyProblem, TopologyValidationError } from '@switchyard/contracts';
import { Inventory, migrate, openDatabase } from '@switchyard/inventory';
import { ControlPlaneMetrics } from '@switchyard/telemetry';
import { createApp } from './app';
import { startKubernetesForControlPlane, type KubernetesRuntime } from './kubernetes/kubernetes-runtime';
import { ConfigurationError, loadControlPlaneConfig, type ControlPlaneConfig } from './config/control-plane-config';
import { DEMO_TOPOLOGY, shippedFile } from './config/shipped-files';
import { createRootLogger, loggerFor, type Logger } from './logging/logger';
import { seedTopologyIfEmpty } from './topology/topology-seed';

export { createApp } from './app';
export { ConfigurationError, loadControlPlaneConfig, type ControlPlaneConfig } from './config/control-plane-config';

export interface StartOptions {
  /** Environment to read the configuration from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Values that win over the environment (e.g. `{ port: 0 }` in tests). */
  overrides?: Partial<ControlPlaneConfig>;
  /** Where the human-readable start-up lines go (URLs, the admin token); default stdout. */
  print?: (line: string) => void;
  /** Root logger; default JSON on stdout at the configured level. */
  logger?: Logger;
}

export interface ControlPlaneHandle {
  readonly config: ControlPlaneConfig;
  /** Base URL, e.g. `http://localhost:8080`. */
  readonly url: string;
  readonly port: number;
  /** The admin token generated at this start (first start without SWITCHYARD_ADMIN_TOKEN only). */
  readonly adminToken: string | undefined;
  readonly app: INestApplication;
  readonly inventory: Inventory;
  /** Stops accepting requests, lets running ones finish, closes the database. */
  close(): Promise<void>;
}

const BOOTSTRAP_ACTOR = 'system:bootstrap';

/**
 * Starts the control plane: configuration, database (migrated), first admin token, demo topology
 * when the database is empty, then the HTTP API. Used by `npm start`, `switchyard start` and tests.
 */
export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlaneHandle> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = {
    ...loadControlPlaneConfig(options.env ?? process.env, shippedFile(DEMO_TOPOLOGY)),
    ...options.overrides,
  };
  const root = options.logger ?? createRootLogger(config.logLevel);
  const log = loggerFor(root, 'ControlPlane');

  const env = options.env ?? process.env;
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  let app: INestApplication | undefined;
  let kubernetes: KubernetesRuntime | null = null;
  try {
    const migrations = await migrate(database);
    log.info({ database: database.kind, applied: migrations.applied }, 'database ready');
    const inventory = new Inventory(database);

    const bootstrap = await inventory.tokens.bootstrapAdmin(config.adminToken, { actor: BOOTSTRAP_ACTOR });
    if (bootstrap) log.info({ tokenId: bootstrap.record.id }, 'admin token created');

    if (config.seedTopologyFile) {
      const summary = await seedTopologyIfEmpty(inventory, config.seedTopologyFile);
      if (summary) log.info({ file: config.seedTopologyFile, summary }, 'empty database: topology loaded');
    }

    const metrics = new ControlPlaneMetrics();
    // The embedded Kubernetes API (no KUBECONFIG) or the configured cluster; its lines are shown after ours.
    const kubernetesLines: string[] = [];
    kubernetes = await startKubernetesForControlPlane({
      ...(config.kubernetes ? { kubernetes: config.kubernetes } : { env }),
      dataDir: config.dataDir,
      topologyFile: config.seedTopologyFile,
      inventory,
      logger: loggerFor(root, 'Kubernetes'),
      registry: metrics.registry,
      print: (line) => kubernetesLines.push(line),
    });

    app = await createApp({ config, log: root, metrics, inventory, kubernetes });
    await app.listen(config.port, config.host);
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    const generated = bootstrap && config.adminToken === undefined ? bootstrap.token : undefined;

    print(
      `Switchyard control plane is up (${database.kind === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL'})`,
    );
    print(`  API:     ${url}/api/v1`);
    print(`  Docs:    ${url}/docs`);
    print(`  Metrics: ${url}/metrics`);
    kubernetesLines.forEach(print);
    if (generated) {
      print(`  Admin token (shown only now; keep it): ${generated}`);
      print(`  Try:     curl -H "Authorization: Bearer ${generated}" ${url}/api/v1/scopes`);
    }

    const started = app;
    const runtime = kubernetes;
    let closing: Promise<void> | undefined;
    return {
      config,
      url,
      port,
      adminToken: generated,
      app: started,
      inventory,
      close() {
        closing ??= (async () => {
          log.info('shutting down');
          try {
            await started.close();
            await runtime?.close();
          } finally {
            await database.close();
          }
        })();
        return closing;
      },
    };
  } catch (error) {
    await app?.close().catch(() => undefined);
    await kubernetes?.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw error;
  }
}

/** `node dist/apps/control-plane/src/main.js`: start, and stop cleanly on SIGTERM / SIGINT. */
async function runFromCommandLine(): Promise<void> {
  let handle: ControlPlaneHandle;
  try {
    handle = await startControlPlane();
  } catch (error) {
    process.stderr.write(`${startupFailure(error)}\n`);
    process.exit(error instanceof ConfigurationError ? 78 : 1);
  }
  let signalled = false;
  const stop = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(130); // a second Ctrl-C: do not wait any longer
    signalled = true;
    process.stderr.write(`${signal}: stopping\n`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    handle.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** One message for a failed start: configuration and topology problems by name, no stack trace. */
export function startupFailure(error: unknown): string {
  if (error instanceof ConfigurationError) {
    return ['switchyard: invalid configuration', ...error.problems.map((p) => `  ${p.variable}: ${p.message}`)].join(
      '\n',
    );
  }
  if (error instanceof TopologyValidationError) {
    return [
      'switchyard: the seed topology is invalid',
      ...error.problems.map((p) => `  ${formatTopologyProblem(p)}`),
    ].join('\n');
  }
  return `switchyard: cannot start: ${error instanceof Error ? error.message : String(error)}`;
}

if (require.main === module) void runFromCommandLine();
