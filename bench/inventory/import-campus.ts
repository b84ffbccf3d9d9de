/**
 * Inventory benchmark on a real PostgreSQL server (DATABASE_URL, else TEST_DATABASE_URL, else
 * postgresql://postgres@127.0.0.1:5432/test), in a throw-away schema:
 *   1. import the generated 200 MW campus (15,000 nodes, 120,000 GPUs) in one transaction
 *      (target < 60 s), then import it again (idempotent: nothing changes),
 *   2. allocate half of the GPUs (7,500 whole-node allocations) so aggregates have work to do,
 *   3. read the whole scope tree with aggregates N times (target p99 < 200 ms),
 *   4. load the scheduler's inventory snapshot.
 *
 *   npm run build && node dist/bench/inventory/import-campus.js [--iterations 200] [--json] [--keep]
 * (--keep leaves the schema in place, for EXPLAIN ANALYZE.)
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { Client } from 'pg';
import { generateTopology, summarizeTopology } from '@switchyard/contracts';
import { Inventory, migrate, openDatabase } from '@switchyard/inventory';
import { describeMachine, percentile } from '../figures';

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const result = await work();
  return [result, Number(process.hrtime.bigint() - start) / 1e6];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const iterationsArg = args.indexOf('--iterations');
  const iterations = iterationsArg >= 0 ? Number(args[iterationsArg + 1]) : 200;
  const json = args.includes('--json');
  const keep = args.includes('--keep');
  const url = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const log = (line: string) => {
    if (!json) console.log(line);
  };

  const [document, generateMs] = await timed(async () => generateTopology('campus-200mw'));
  const summary = summarizeTopology(document);
  log(
    `campus: ${summary.halls} halls, ${summary.rows} rows, ${summary.racks} racks, ${summary.nodes} nodes, ${summary.gpus} GPUs (generated in ${generateMs.toFixed(0)} ms)`,
  );

  const database = await openDatabase({ databaseUrl: url, dataDir: tmpdir(), schema, poolSize: 4 });
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await migrate(database);
    const inventory = new Inventory(database);

    const [first, importMs] = await timed(() => inventory.topology.import(document, { actor: 'bench' }));
    log(`import (empty database): ${(importMs / 1000).toFixed(2)} s  ${JSON.stringify(first)}`);
    const [second, reimportMs] = await timed(() => inventory.topology.import(document, { actor: 'bench' }));
    log(`import again (no change): ${(reimportMs / 1000).toFixed(2)} s  gpus unchanged: ${second.gpus.unchanged}`);

    // Half the nodes fully allocated (one 8-GPU pod each), written straight in SQL: this
    // measures reads, not the allocation path.
    const [, allocateMs] = await timed(async () => {
      await database.prisma.$executeRawUnsafe(`
        INSERT INTO allocations (pod_uid, pod_namespace, pod_name, node_id, predicted_watts)
        SELECT 'bench-' || n.name, 'bench', n.name, n.id, 8 * 650 FROM nodes n WHERE (hashtext(n.name) & 1) = 0`);
      await database.prisma.$executeRawUnsafe(`
        INSERT INTO allocation_gpus (allocation_id, gpu_id, node_id, share_milli)
        SELECT a.id, g.id, g.node_id, 1000 FROM allocations a JOIN gpus g ON g.node_id = a.node_id`);
      await database.prisma.$executeRawUnsafe('ANALYZE');
    });
    log(`allocated half the GPUs in ${(allocateMs / 1000).toFixed(2)} s`);

    for (let i = 0; i < 5; i++) await inventory.scopes.tree();
    const samples: number[] = [];
    let scopes = 0;
    for (let i = 0; i < iterations; i++) {
      const [tree, ms] = await timed(() => inventory.scopes.tree());
      samples.push(ms);
      scopes = tree.length;
    }
    samples.sort((a, b) => a - b);
    const [site] = await inventory.scopes.tree();
    const tree = {
      iterations,
      p50Ms: percentile(samples, 50),
      p95Ms: percentile(samples, 95),
      p99Ms: percentile(samples, 99),
      maxMs: samples[samples.length - 1],
    };
    log(
      `scopes tree (${scopes} site, ${summary.halls + summary.rows + summary.racks + 1} scopes) x${iterations}: ` +
        `p50 ${tree.p50Ms.toFixed(1)} ms, p95 ${tree.p95Ms.toFixed(1)} ms, p99 ${tree.p99Ms.toFixed(1)} ms, max ${tree.maxMs.toFixed(1)} ms`,
    );
    log(
      `site: ${site.gpusTotal} GPUs, ${site.gpusBusy} busy, ${(site.allocatedWatts / 1e6).toFixed(2)} MW allocated of ${(site.effectiveBudgetWatts / 1e6).toFixed(0)} MW`,
    );

    const [snapshot, snapshotMs] = await timed(() => inventory.nodes.snapshot());
    log(`inventory snapshot: ${snapshot.nodes.length} nodes in ${snapshotMs.toFixed(0)} ms`);

    const result = {
      machine: await describeMachine(admin),
      topology: summary,
      importSeconds: importMs / 1000,
      reimportSeconds: reimportMs / 1000,
      scopesTree: tree,
      snapshotMs,
    };
    if (json) console.log(JSON.stringify(result, null, 2));
    else log(`machine: ${JSON.stringify(result.machine)}`);
  } finally {
    await database.close();
    if (keep) console.error(`kept schema ${schema}`);
    else await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
