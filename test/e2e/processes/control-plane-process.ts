/**
 * One control-plane replica (the Kubernetes runtime: informers, leader election, scheduler,
 * controller) as a process of its own, for failover tests that kill it with SIGKILL.
 * Environment: KUBECONFIG_YAML, DATABASE_URL, DATABASE_SCHEMA, REPLICA_ID, LEASE_JSON.
 * Prints `ready` once started, `leader` whenever it becomes the leader and `rebuilt` when its
 * scheduler has rebuilt its state from PostgreSQL and the API after that.
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
  // REPLICA_TRACE=1: every info line to stderr with a timestamp (to see where a takeover spends its time).
  const trace = env.REPLICA_TRACE === '1';
  const logger = {
    debug: () => undefined,
    info: (obj: object, msg: string) => {
      if (trace) process.stderr.write(`${new Date().toISOString()} ${msg} ${JSON.stringify(obj)}\n`);
      if (msg === 'became leader') say('leader');
      else if (msg === 'scheduler state rebuilt') say('rebuilt');
    },
    warn: (obj: object, msg: string) => process.stderr.write(`${msg} ${JSON.stringify(obj)}\n`),
    error: (obj: object, msg: string) => process.stderr.write(`${msg} ${JSON.stringify(obj)}\n`),
  };
  const runtime = await KubernetesRuntime.start({
    inventory: new Inventory(database),
    logger,
    connection: { kind: 'cluster', source: { kind: 'yaml', yaml: env.KUBECONFIG_YAML ?? '' } },
    identity: env.REPLICA_ID,
    leaderElection: JSON.parse(env.LEASE_JSON ?? '{}'),
    reconcileMs: 30_000,
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
