/**
 * HTTP benchmark of `GET /api/v1/scopes` (the whole scope tree with aggregates) at campus size,
 * through the real control-plane app (auth guard, validation, JSON serialisation) over a real
 * socket, on a real PostgreSQL server (DATABASE_URL, else TEST_DATABASE_URL, else
 * postgresql://postgres@127.0.0.1:5432/test) in a throw-away schema. Target: p99 < 200 ms.
 *
 *   npm run build && node dist/bench/http/scopes-tree.js [--iterations 200] [--concurrency 4] [--json]
 *
 * Steps: import the generated 200 MW campus (15,000 nodes, 120,000 GPUs), allocate half the
 * nodes (one 8-GPU pod each, written in SQL: this measures reads), start the app on an
 * ephemeral port, warm up, then time sequential requests and concurrent ones.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { type AddressInfo } from 'node:net';
import { Client } from 'pg';
import { generateTopology, summarizeTopology } from '@switchyard/contracts';
import { Inventory, migrate, openDatabase } from '@switchyard/inventory';
import { ControlPlaneMetrics } from '@switchyard/telemetry';
import { createApp } from '../../apps/control-plane/src/app';
import { createRootLogger } from '../../apps/control-plane/src/logging/logger';
import { describeMachine, percentile } from '../figures';

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1],
  };
}

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

async function main(): Promise<void> {
  const iterations = argument('--iterations', 200);
  const concurrency = argument('--concurrency', 4);
  const json = process.argv.includes('--json');
  const log = (line: string) => {
    if (!json) console.log(line);
  };
  const url = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';
  const schema = `bench_http_${randomBytes(4).toString('hex')}`;
  const document = generateTopology('campus-200mw');
  const summary = summarizeTopology(document);
  log(`campus: ${summary.racks} racks, ${summary.nodes} nodes, ${summary.gpus} GPUs`);

  const database = await openDatabase({ databaseUrl: url, dataDir: tmpdir(), schema, poolSize: 10 });
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await migrate(database);
    const inventory = new Inventory(database);
    const importStart = performance.now();
    await inventory.topology.import(document, { actor: 'bench' });
    log(`import: ${((performance.now() - importStart) / 1000).toFixed(1)} s`);
    await database.withSession(async (session) => {
      await session.exec(`
        INSERT INTO allocations (pod_uid, pod_namespace, pod_name, node_id, predicted_watts)
        SELECT 'bench-' || n.name, 'bench', n.name, n.id, 8 * 650 FROM nodes n WHERE (hashtext(n.name) & 1) = 0;
        INSERT INTO allocation_gpus (allocation_id, gpu_id, node_id, share_milli)
        SELECT a.id, g.id, g.node_id, 1000 FROM allocations a JOIN gpus g ON g.node_id = a.node_id;
        ANALYZE;`);
    });
    const { token } = await inventory.tokens.create({ name: 'bench', role: 'viewer' }, { actor: 'bench' });

    const app = await createApp({
      config: {
        port: 0,
        host: '127.0.0.1',
        databaseUrl: url,
        dataDir: tmpdir(),
        adminToken: undefined,
        logLevel: 'silent',
        kubeconfig: undefined,
        seedTopologyFile: undefined,
      },
      log: createRootLogger('silent'),
      metrics: new ControlPlaneMetrics(),
      inventory,
    });
    await app.listen(0, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
      const headers = { Authorization: `Bearer ${token}` };
      let bytes = 0;
      const fetchTree = async () => {
        const start = performance.now();
        const res = await fetch(`${base}/api/v1/scopes`, { headers });
        const body = await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`GET /api/v1/scopes: ${res.status}`);
        bytes = body.byteLength;
        return performance.now() - start;
      };
      for (let i = 0; i < 10; i++) await fetchTree();

      const sequential: number[] = [];
      for (let i = 0; i < iterations; i++) sequential.push(await fetchTree());

      const concurrent: number[] = [];
      const perWorker = Math.ceil(iterations / concurrency);
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let i = 0; i < perWorker; i++) concurrent.push(await fetchTree());
        }),
      );

      const result = {
        machine: await describeMachine(admin),
        scopes: summary.halls + summary.rows + summary.racks + 1,
        responseBytes: bytes,
        sequential: stats(sequential),
        concurrent: { concurrency, ...stats(concurrent) },
      };
      const line = (name: string, s: ReturnType<typeof stats>) =>
        `${name}: n=${s.n} p50 ${s.p50Ms.toFixed(1)} ms, p95 ${s.p95Ms.toFixed(1)} ms, p99 ${s.p99Ms.toFixed(1)} ms, max ${s.maxMs.toFixed(1)} ms`;
      log(`GET /api/v1/scopes (${result.scopes} scopes, ${(bytes / 1e6).toFixed(2)} MB of JSON)`);
      log(line('  sequential', result.sequential));
      log(line(`  ${concurrency} concurrent clients`, result.concurrent));
      log(`machine: ${JSON.stringify(result.machine)}`);
      if (json) console.log(JSON.stringify(result, null, 2));
    } finally {
      await app.close();
    }
  } finally {
    await database.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
