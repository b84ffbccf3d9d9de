/**
 * The derived totals (gpus.allocated_milli; nodes.gpu_count, allocated_milli, busy_gpus,
 * allocated_watts) are kept by statement-level triggers: one grouped UPDATE per statement. These
 * tests run multi-row statements of every kind the triggers see (batched inserts, releases that
 * cascade to the shares, direct share deletes and updates, watts changes, binds, GPU moves) and
 * compare every total with a recomputation from scratch, on both backends; and, on PostgreSQL,
 * race two transactions writing multi-row batches over the same GPUs.
 */
import fc from 'fast-check';
import type { Client } from 'pg';
import { generateTopology } from '@switchyard/contracts';
import { Inventory, type AllocationInput } from '@switchyard/inventory';
import {
  BACKENDS,
  connectTestClient,
  openTestDatabase,
  openWithTopology,
  type TestDatabase,
} from '../support/database';

// 1 hall x 1 row x 2 racks x 2 nodes of 4 GPUs: 4 nodes, 16 GPUs.
const topology = generateTopology('demo', {
  halls: 1,
  rowsPerHall: 1,
  racksPerRow: 2,
  nodesPerRack: 2,
  gpusPerNode: 4,
});

/** Stored totals that differ from their recomputation (empty when all agree). */
async function drift(db: TestDatabase): Promise<unknown[]> {
  const gpus = await db.database.prisma.$queryRawUnsafe<unknown[]>(`
    SELECT g.uuid, g.allocated_milli AS stored,
           (SELECT coalesce(sum(s.share_milli), 0)::int FROM allocation_gpus s WHERE s.gpu_id = g.id) AS recomputed
    FROM gpus g
    WHERE g.allocated_milli <> (SELECT coalesce(sum(s.share_milli), 0) FROM allocation_gpus s WHERE s.gpu_id = g.id)`);
  const nodes = await db.database.prisma.$queryRawUnsafe<unknown[]>(`
    SELECT n.name, stored, recomputed FROM nodes n,
      LATERAL (SELECT (n.gpu_count, n.allocated_milli, n.busy_gpus, n.allocated_watts)::text AS stored) s,
      LATERAL (SELECT ((SELECT count(*) FROM gpus g WHERE g.node_id = n.id),
                       (SELECT coalesce(sum(x.share_milli), 0) FROM allocation_gpus x JOIN gpus g ON g.id = x.gpu_id WHERE g.node_id = n.id),
                       (SELECT count(DISTINCT x.gpu_id) FROM allocation_gpus x JOIN gpus g ON g.id = x.gpu_id WHERE g.node_id = n.id),
                       (SELECT coalesce(sum(a.predicted_watts), 0) FROM allocations a WHERE a.node_id = n.id))::text AS recomputed) r
    WHERE stored <> recomputed`);
  return [...gpus, ...nodes];
}

/** The SQLSTATE of a failed statement, undefined when it succeeded. */
async function sqlState(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    const meta = (error as { meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } }).meta;
    return meta?.driverAdapterError?.cause?.originalCode ?? (error as { code?: string }).code ?? 'unknown';
  }
}

const share = fc.record({ gpu: fc.integer({ min: 0, max: 3 }), milli: fc.constantFrom(250, 400, 500, 1000) });
const pod = fc.record({
  node: fc.integer({ min: 0, max: 3 }),
  shares: fc.uniqueArray(share, { maxLength: 3, selector: (s) => s.gpu }),
  watts: fc.integer({ min: 0, max: 3000 }),
});
const operation = fc.oneof(
  fc.record({
    kind: fc.constant('batch' as const),
    gangs: fc.array(fc.array(pod, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 6 }),
  }),
  fc.record({ kind: fc.constant('release' as const), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }) }),
  fc.record({
    kind: fc.constant('deleteShares' as const),
    node: fc.integer({ min: 0, max: 3 }),
    gpus: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('reshare' as const),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    milli: fc.integer({ min: 1, max: 1000 }),
  }),
  fc.record({
    kind: fc.constant('rewatt' as const),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    watts: fc.integer({ min: 0, max: 3000 }),
  }),
  fc.record({ kind: fc.constant('move' as const), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }) }),
  fc.record({ kind: fc.constant('bind' as const) }),
);

describe.each(BACKENDS)('statement-level accounting on $kind', ({ open }) => {
  let db: TestDatabase;
  let inventory: Inventory;
  let nodes: string[];
  const sql = (text: string, ...params: unknown[]) => db.database.prisma.$executeRawUnsafe(text, ...params);

  beforeAll(async () => {
    ({ db, inventory, nodes } = await openWithTopology(open, topology));
  });
  afterAll(() => db.dispose());

  it('frees everything when the allocations are deleted in one statement', async () => {
    await sql('DELETE FROM allocations');
    const outcomes = await inventory.allocations.createGangs(
      nodes.map((node, i) => [
        {
          podUid: `all-${i}`,
          podNamespace: 'ml',
          podName: `all-${i}`,
          nodeName: node,
          gpus: [0, 1, 2, 3].map((index) => ({ index, shareMilli: 500 })),
          predictedWatts: 1000 + i,
        },
      ]),
    );
    expect(outcomes.every((o) => o.committed)).toBe(true);
    const [busy] = await db.database.prisma.$queryRawUnsafe<Array<{ milli: number; busy: number; watts: number }>>(
      'SELECT sum(allocated_milli)::int AS milli, sum(busy_gpus)::int AS busy, sum(allocated_watts)::int AS watts FROM nodes',
    );
    expect(busy).toEqual({ milli: nodes.length * 2000, busy: nodes.length * 4, watts: nodes.length * 1000 + 6 });
    await sql('DELETE FROM allocations');
    expect(await drift(db)).toEqual([]);
    const [free] = await db.database.prisma.$queryRawUnsafe<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM nodes WHERE allocated_milli <> 0 OR busy_gpus <> 0 OR allocated_watts <> 0',
    );
    expect(free.n).toBe(0);
  });

  it('refuses client writes of the derived totals, and accepts rewriting the same value', async () => {
    const [gpu] = await db.database.prisma.$queryRawUnsafe<Array<{ id: string; node_id: string; product_id: string }>>(
      'SELECT id, node_id, product_id FROM gpus ORDER BY id LIMIT 1',
    );
    const [node] = await db.database.prisma.$queryRawUnsafe<Array<{ rack_id: string }>>(
      'SELECT rack_id FROM nodes WHERE id = $1::uuid',
      gpu.node_id,
    );
    expect(await sqlState(sql('UPDATE gpus SET allocated_milli = 5 WHERE id = $1::uuid', gpu.id))).toBe('23514');
    expect(await sqlState(sql('UPDATE gpus SET allocated_milli = allocated_milli WHERE id = $1::uuid', gpu.id))).toBe(
      undefined,
    );
    expect(
      await sqlState(
        sql(
          `INSERT INTO gpus (uuid, node_id, index, product_id, memory_mib, tdp_watts, min_power_limit_watts, max_power_limit_watts, allocated_milli)
           VALUES ('GPU-forged', $1::uuid, 99, $2::uuid, 1, 700, 200, 700, 1)`,
          gpu.node_id,
          gpu.product_id,
        ),
      ),
    ).toBe('23514');
    expect(await sqlState(sql('UPDATE nodes SET busy_gpus = busy_gpus + 1 WHERE id = $1::uuid', gpu.node_id))).toBe(
      '23514',
    );
    expect(await sqlState(sql('UPDATE nodes SET gpu_count = gpu_count WHERE id = $1::uuid', gpu.node_id))).toBe(
      undefined,
    );
    expect(
      await sqlState(
        sql(
          `INSERT INTO nodes (name, rack_id, cpu_milli, memory_mib, idle_watts, max_watts, allocated_watts)
           VALUES ('forged', $1::uuid, 1, 1, 1, 1, 5)`,
          node.rack_id,
        ),
      ),
    ).toBe('23514');
    expect(await drift(db)).toEqual([]);
  });

  it('keeps every GPU and node total equal to a recomputation after mixed multi-row statements (property)', async () => {
    let serial = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 10 }), async (operations) => {
        await sql('DELETE FROM allocations');
        // Puts moved GPUs back on their nodes (a multi-row move of its own).
        await inventory.topology.import(topology, { actor: 'test' });
        expect(await drift(db)).toEqual([]);
        for (const op of operations) {
          const live = (
            await db.database.prisma.$queryRawUnsafe<Array<{ pod_uid: string }>>(
              'SELECT pod_uid FROM allocations ORDER BY pod_uid',
            )
          ).map((r) => r.pod_uid);
          const picked = (picks: number[]) =>
            live.length === 0 ? [] : [...new Set(picks.map((p) => live[p % live.length]))];
          if (op.kind === 'batch') {
            const gangs: AllocationInput[][] = op.gangs.map((gang) =>
              gang.map((p) => {
                const uid = `p${serial++}`;
                return {
                  podUid: uid,
                  podNamespace: 'ml',
                  podName: uid,
                  nodeName: nodes[p.node],
                  gpus: p.shares.map((s) => ({ index: s.gpu, shareMilli: s.milli })),
                  predictedWatts: p.watts,
                };
              }),
            );
            // Over-allocating gangs are refused (the batch statement fails and is split), the rest commit.
            await inventory.allocations.createGangs(gangs);
          } else if (op.kind === 'release') {
            // DELETE of allocations: the shares go by ON DELETE CASCADE.
            await inventory.allocations.releaseMany(picked(op.picks));
          } else if (op.kind === 'deleteShares') {
            await sql(
              `DELETE FROM allocation_gpus WHERE gpu_id IN (
                 SELECT g.id FROM gpus g JOIN nodes n ON n.id = g.node_id WHERE n.name = $1 AND g.index = ANY($2::int[]))`,
              nodes[op.node],
              op.gpus,
            );
          } else if (op.kind === 'reshare') {
            const state = await sqlState(
              sql(
                `UPDATE allocation_gpus SET share_milli = $1
                 WHERE allocation_id IN (SELECT id FROM allocations WHERE pod_uid = ANY($2::text[]))`,
                op.milli,
                picked(op.picks),
              ),
            );
            expect([undefined, '23514']).toContain(state);
          } else if (op.kind === 'rewatt') {
            await sql(
              'UPDATE allocations SET predicted_watts = $1 WHERE pod_uid = ANY($2::text[])',
              op.watts,
              picked(op.picks),
            );
          } else if (op.kind === 'bind') {
            await inventory.allocations.markBoundMany(live);
          } else {
            // Free GPUs change node in one statement: each to the next node, at an index of its own.
            const state = await sqlState(
              sql(
                `UPDATE gpus g SET node_id = m.target, index = g.index + 100 * (1 + g.index / 100)
                 FROM (SELECT g2.id, (SELECT n2.id FROM nodes n2 WHERE n2.name > n.name ORDER BY n2.name LIMIT 1) AS target
                       FROM gpus g2 JOIN nodes n ON n.id = g2.node_id
                       WHERE g2.index = ANY($1::int[]) AND g2.allocated_milli = 0) m
                 WHERE g.id = m.id AND m.target IS NOT NULL`,
                op.picks.map((p) => p % 4),
              ),
            );
            expect([undefined, '23505']).toContain(state);
          }
          expect(await drift(db)).toEqual([]);
        }
      }),
      { numRuns: 12 },
    );
  });
});

describe('statement-level accounting under concurrent transactions (PostgreSQL)', () => {
  let db: TestDatabase;
  let first: Client;
  let second: Client;
  let node: { id: string; gpus: string[] };

  beforeAll(async () => {
    ({ db } = await openWithTopology(openTestDatabase, topology));
    const [row] = await db.database.prisma.$queryRawUnsafe<Array<{ id: string; gpus: string[] }>>(
      `SELECT n.id, array_agg(g.id::text ORDER BY g.index) AS gpus FROM nodes n JOIN gpus g ON g.node_id = n.id
       GROUP BY n.id, n.name ORDER BY n.name LIMIT 1`,
    );
    node = row;
  });
  afterAll(() => db.dispose());
  beforeEach(async () => {
    first = await connectTestClient(db.location);
    second = await connectTestClient(db.location);
  });
  afterEach(async () => {
    await first.end();
    await second.end();
    await db.database.prisma.$executeRawUnsafe('DELETE FROM allocations');
  });

  /** One statement: an allocation with shares on several GPUs (index -> milli). */
  function allocate(client: Client, podUid: string, shares: Array<[number, number]>): Promise<unknown> {
    return client.query(
      `WITH a AS (
         INSERT INTO allocations (pod_uid, pod_namespace, pod_name, node_id, predicted_watts) VALUES ($1, 'ns', $1, $2, 100) RETURNING id)
       INSERT INTO allocation_gpus (allocation_id, gpu_id, node_id, share_milli)
       SELECT a.id, s.gpu, $2, s.milli FROM a, unnest($3::uuid[], $4::int[]) AS s(gpu, milli)`,
      [podUid, node.id, shares.map(([i]) => node.gpus[i]), shares.map(([, m]) => m)],
    );
  }

  async function race(
    firstShares: Array<[number, number]>,
    secondShares: Array<[number, number]>,
    isolation = 'READ COMMITTED',
  ): Promise<string> {
    await first.query(`BEGIN ISOLATION LEVEL ${isolation}`);
    await second.query(`BEGIN ISOLATION LEVEL ${isolation}`);
    await allocate(first, 'first', firstShares);
    // The second statement's trigger blocks on the GPU rows until the first commits, then re-reads them.
    const outcome = allocate(second, 'second', secondShares).then(
      () => second.query('COMMIT').then(() => 'committed'),
      async (error: { code?: string }) => {
        await second.query('ROLLBACK');
        return error.code ?? 'unknown';
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await first.query('COMMIT');
    return outcome;
  }

  const totals = async () =>
    (
      await db.database.prisma.$queryRawUnsafe<Array<{ milli: number[]; node: string }>>(
        `SELECT array_agg(g.allocated_milli ORDER BY g.index) AS milli,
                (n.allocated_milli, n.busy_gpus, n.allocated_watts)::text AS node
         FROM nodes n JOIN gpus g ON g.node_id = n.id WHERE n.id = $1::uuid GROUP BY n.id`,
        node.id,
      )
    )[0];

  it.each(['READ COMMITTED', 'REPEATABLE READ', 'SERIALIZABLE'])(
    'refuses the second batch that would take the last share of a GPU under %s',
    async (isolation) => {
      const outcome = await race(
        [
          [0, 600],
          [1, 300],
        ],
        [
          [2, 1000],
          [0, 500],
        ],
        isolation,
      );
      expect(['23514', '40001']).toContain(outcome);
      expect(await totals()).toEqual({ milli: [600, 300, 0, 0], node: '(900,2,100)' });
      expect(await drift(db)).toEqual([]);
    },
  );

  it('adds up two batches that both fit on the same GPUs, busy counted once (no lost update)', async () => {
    const outcome = await race(
      [
        [0, 400],
        [1, 250],
      ],
      [
        [1, 250],
        [0, 500],
        [3, 1000],
      ],
    );
    expect(outcome).toBe('committed');
    expect(await totals()).toEqual({ milli: [900, 500, 0, 1000], node: '(2400,3,200)' });
    expect(await drift(db)).toEqual([]);
  });

  it('frees concurrently released shares of one GPU exactly once each', async () => {
    await allocate(first, 'a', [[0, 300]]);
    await allocate(first, 'b', [
      [0, 300],
      [1, 1000],
    ]);
    await first.query('BEGIN');
    await second.query('BEGIN');
    await first.query(`DELETE FROM allocations WHERE pod_uid = 'a'`);
    const released = second.query(`DELETE FROM allocations WHERE pod_uid = 'b'`).then(() => second.query('COMMIT'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await first.query('COMMIT');
    await released;
    expect(await totals()).toEqual({ milli: [0, 0, 0, 0], node: '(0,0,0)' });
    expect(await drift(db)).toEqual([]);
  });
});
