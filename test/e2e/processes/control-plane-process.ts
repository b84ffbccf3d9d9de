/**
 * One control-plane replica (the Kubernetes runtime: informers, leader election, scheduler,
 * controller) as a process of its own, for failover tests that kill it with SIGKILL.
 * Environment: KUBECONFIG_YAML, DATABASE_URL, DATABASE_SCHEMA, REPLICA_ID, LEASE_JSON.
 * Prints `ready` once started, then `leader` whenever it becomes the leader.
 */
import { tmpdir } from 'node:os';
import { Inventory, openDatabase } from '@switchyard/inventory';
import { KubernetesRuntime } from '../../../apps/control-plane/src/kubernetes/kubernetes-runtime';

async function main(): Promise<void> {
  const env = process.env;
  const database = await openDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir: tmpdir(),
    schema: env.DATABASE_SCHEMA,
    poolSize: 6,
  });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const logger = {
    debug: () => undefined,
    info: (obj: object, msg: string) => (msg.startsWith('became leader') ? say('leader') : undefined),
    warn: (obj: object, msg: string) => process.stderr.write(`${msg} ${JSON.stringify(obj)}\n`),
    error: (obj: object, msg: string) => process.stderr.write(`${msg} ${JSON.stringify(obj)}\n`),
  };
  const runtime = await KubernetesRuntime.start({
    inventory: new Inventory(database),
    logger,
    connection: { kind: 'cluster', source: { kind: 'yaml', yaml: env.KUBECONFIG_YAML ?? '' } },
    identity: env.REPLICA_ID,
    leaderElection: JSON.parse(env.LEASE_JSON ?? '{}'),
    inventoryRefreshMs: 30_000,
  });
  say('ready');
  process.on(
    'SIGTERM',
    () =>
      void runtime
        .close()
        .then(() => database.close())
        .then(() => process.exit(0)),
  );
}

void main().catch((error) => {
  process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
