/**
 * A database restart during scheduling: a private PostgreSQL server (not the shared one other
 * tests use) is stopped as a crash (`pg_ctl stop -m immediate`) while the scheduler places
 * pods, kept down for a few seconds while more pods arrive, and started again. The scheduler
 * must recover without a lost or duplicated allocation: every pod ends bound once, with
 * exactly the allocation its annotations name, nothing is allocated for a pod that does not
 * exist, and no GPU share or budget is exceeded.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringifyTopology } from '@switchyard/contracts';
import { Inventory, migrate, openDatabase, type Database } from '@switchyard/inventory';
import type { KubernetesRuntime } from '../../apps/control-plane/src/kubernetes/kubernetes-runtime';
import {
  boundPods,
  eventually,
  expectAllocationsMatchPods,
  generateTopology,
  mixedPod,
  quietLogger,
  settledAllocations,
  startLeadingEmbeddedRuntime,
  type E2eWorld,
} from './e2e-support';
import { privatePostgresUnavailable, startPrivatePostgres, type PostgresServer } from './processes/postgres-server';

const PODS = 200;
const DOWN_MS = 4000;
const unavailable = privatePostgresUnavailable();
const describeWithServer = unavailable ? describe.skip : describe;
if (unavailable) console.warn(`database restart test skipped: ${unavailable}`);

describeWithServer('scheduling through a database restart (private PostgreSQL server)', () => {
  let server: PostgresServer;
  let database: Database;
  let world: E2eWorld;
  let runtime: KubernetesRuntime;
  /** What the runtime warned about: the outage must have been felt, not slept through. */
  const warnings: string[] = [];

  beforeAll(async () => {
    server = await startPrivatePostgres();
    database = await openDatabase({ databaseUrl: server.url, dataDir: tmpdir(), poolSize: 8 });
    await migrate(database);
    const inventory = new Inventory(database);
    const topology = generateTopology('demo', { halls: 1, rowsPerHall: 2, racksPerRow: 4 });
    await inventory.topology.import(topology, { actor: 'test' });
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
    const topologyFile = join(dataDir, 'topology.yaml');
    writeFileSync(topologyFile, stringifyTopology(topology));
    world = {
      db: { database, kind: 'postgres', location: 'public', url: server.url, dispose: () => database.close() },
      inventory,
      topology,
      topologyFile,
      dataDir,
      async dispose() {
        await database.close().catch(() => undefined);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
    runtime = await startLeadingEmbeddedRuntime(world, 20, {
      extra: {
        logger: { ...quietLogger, warn: (_obj: object, msg: string) => void warnings.push(msg) },
        // Long enough that the lease (in the embedded API, not the database) is never at stake here.
        leaderElection: { leaseDurationMs: 8000, renewDeadlineMs: 6000, retryPeriodMs: 1000 },
      },
    });
  }, 120_000);

  afterAll(async () => {
    await runtime?.close();
    await world?.dispose();
    await server?.destroy();
  });

  it('binds every pod exactly once after the server crashed and came back mid-scheduling', async () => {
    const cluster = runtime.cluster;
    const allocationCount = async () => {
      try {
        return (await world.inventory.allocations.all()).length;
      } catch {
        return -1; // the server is down
      }
    };
    let next = 0;
    const create = async () => {
      while (next < PODS) {
        const i = next++;
        await cluster.pods.create(mixedPod(`dbr-${i}`, i));
        // Spread the arrivals so that some land while the database is down.
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const creating = Promise.all(Array.from({ length: 2 }, create));
    await eventually(async () => (await allocationCount()) >= PODS / 4, 60_000, 'a quarter of the pods placed');
    await server.crash();
    const placedBeforeCrash = next;
    const warningsBefore = warnings.length;
    await new Promise((r) => setTimeout(r, DOWN_MS));
    const createdWhileDown = next - placedBeforeCrash;
    await server.start();
    await creating;

    const pods = await boundPods(cluster, 'dbr-', PODS, 120_000, 'every pod bound after the restart');
    const allocations = await settledAllocations(world.inventory, PODS, 30_000, 'one bound allocation per pod');
    expectAllocationsMatchPods(pods, allocations);
    expect(runtime.state.overBudget()).toEqual([]);
    // The crash really happened during scheduling: pods arrived while the server was down, and
    // the scheduler's writes failed meanwhile.
    expect(createdWhileDown).toBeGreaterThan(0);
    expect(warnings.slice(warningsBefore).some((w) => /commit failed|could not|failed/.test(w))).toBe(true);
    console.log(
      `database restart: server down ${DOWN_MS} ms after ${placedBeforeCrash} pods were created; ${createdWhileDown} arrived meanwhile; all ${PODS} bound once; warnings meanwhile: ${[...new Set(warnings.slice(warningsBefore))].join(' | ')}`,
    );
  }, 240_000);
});
