/**
 * The database itself refuses what must never happen, whatever the application does: these
 * tests bypass the repositories and write raw SQL through the real Prisma client (and plain
 * pg connections for concurrent transactions).
 */
import fc from 'fast-check';
import type { Client } from 'pg';
import { connectTestClient, openTestDatabase, type TestDatabase } from '../support/database';

let db: TestDatabase;
let ids: {
  site: string;
  hall: string;
  row: string;
  rack: string;
  product: string;
  node: string;
  gpu0: string;
  gpu1: string;
};

const sql = () => db.database.prisma;

/** The SQLSTATE of a failed raw query (23514 check, 23505 unique, 23503 foreign key). */
async function sqlState(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    const meta = (error as { meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } }).meta;
    return meta?.driverAdapterError?.cause?.originalCode ?? (error as { code?: string }).code;
  }
}

beforeAll(async () => {
  db = await openTestDatabase();
  const [site] = await sql().$queryRaw<Array<{ id: string }>>`
    INSERT INTO scopes (kind, name, path, capacity_watts) VALUES ('site', 's', 's', 1000000) RETURNING id`;
  const [hall] = await sql().$queryRaw<Array<{ id: string }>>`
    INSERT INTO scopes (kind, name, path, parent_id, parent_kind, capacity_watts) VALUES ('hall', 'h', 's/h', ${site.id}::uuid, 'site', 500000) RETURNING id`;
  const [row] = await sql().$queryRaw<Array<{ id: string }>>`
    INSERT INTO scopes (kind, name, path, parent_id, parent_kind, capacity_watts) VALUES ('row', 'r', 's/h/r', ${hall.id}::uuid, 'hall', 100000) RETURNING id`;
  const [rack] = await sql().$queryRaw<Array<{ id: string }>>`
    INSERT INTO scopes (kind, name, path, parent_id, parent_kind, capacity_watts) VALUES ('rack', 'k', 's/h/r/k', ${row.id}::uuid, 'row', 40000) RETURNING id`;
  const [product] = await sql().$queryRaw<Array<{ id: string }>>`
    INSERT INTO gpu_products (name, memory_mib, tdp_watts, min_power_limit_watts, max_power_limit_watts) VALUES ('H200', 143771, 700, 200, 700) RETURNING id`;
  const [node] = await sql().$queryRaw<Array<{ id: string }>>`
    INSERT INTO nodes (name, rack_id, cpu_milli, memory_mib, idle_watts, max_watts) VALUES ('n1', ${rack.id}::uuid, 1000, 1000, 100, 10000) RETURNING id`;
  const gpus = await sql().$queryRaw<Array<{ id: string }>>`
    INSERT INTO gpus (uuid, node_id, index, product_id, memory_mib, tdp_watts, min_power_limit_watts, max_power_limit_watts)
    SELECT 'GPU-' || i, ${node.id}::uuid, i, ${product.id}::uuid, 143771, 700, 200, 700 FROM generate_series(0, 1) AS i ORDER BY i RETURNING id`;
  ids = {
    site: site.id,
    hall: hall.id,
    row: row.id,
    rack: rack.id,
    product: product.id,
    node: node.id,
    gpu0: gpus[0].id,
    gpu1: gpus[1].id,
  };
});
afterAll(() => db.dispose());

afterEach(async () => {
  await sql().$executeRaw`DELETE FROM allocations`;
});

function insertAllocation(podUid: string, nodeId = ids.node): Promise<Array<{ id: string }>> {
  return sql().$queryRaw`
    INSERT INTO allocations (pod_uid, pod_namespace, pod_name, node_id, predicted_watts) VALUES (${podUid}, 'ns', ${podUid}, ${nodeId}::uuid, 100) RETURNING id`;
}

function insertShare(allocationId: string, gpuId: string, share: number): Promise<number> {
  return sql().$executeRaw`
    INSERT INTO allocation_gpus (allocation_id, gpu_id, node_id, share_milli) VALUES (${allocationId}::uuid, ${gpuId}::uuid, ${ids.node}::uuid, ${share})`;
}

async function allocatedMilli(gpuId: string): Promise<number> {
  const [row] = await sql().$queryRaw<
    Array<{ allocated_milli: number }>
  >`SELECT allocated_milli FROM gpus WHERE id = ${gpuId}::uuid`;
  return row.allocated_milli;
}

describe('GPU shares', () => {
  it('refuses a single share above 1000 milli or below 1', async () => {
    const [a] = await insertAllocation('p1');
    expect(await sqlState(insertShare(a.id, ids.gpu0, 1001))).toBe('23514');
    expect(await sqlState(insertShare(a.id, ids.gpu0, 0))).toBe('23514');
  });

  it('refuses two shares on one GPU that add up to more than 1000, and keeps the total exact', async () => {
    const [a] = await insertAllocation('p1');
    const [b] = await insertAllocation('p2');
    await insertShare(a.id, ids.gpu0, 600);
    expect(await sqlState(insertShare(b.id, ids.gpu0, 401))).toBe('23514');
    await insertShare(b.id, ids.gpu0, 400);
    expect(await allocatedMilli(ids.gpu0)).toBe(1000);
    await sql().$executeRaw`DELETE FROM allocations WHERE id = ${a.id}::uuid`;
    expect(await allocatedMilli(ids.gpu0)).toBe(400);
  });

  it('refuses raising a share through UPDATE beyond the GPU', async () => {
    const [a] = await insertAllocation('p1');
    const [b] = await insertAllocation('p2');
    await insertShare(a.id, ids.gpu1, 500);
    await insertShare(b.id, ids.gpu1, 500);
    expect(
      await sqlState(
        sql().$executeRaw`UPDATE allocation_gpus SET share_milli = 501 WHERE allocation_id = ${a.id}::uuid`,
      ),
    ).toBe('23514');
    expect(await allocatedMilli(ids.gpu1)).toBe(1000);
  });

  it('refuses writing the derived total directly', async () => {
    expect(await sqlState(sql().$executeRaw`UPDATE gpus SET allocated_milli = 0 WHERE id = ${ids.gpu0}::uuid`)).toBe(
      undefined,
    );
    expect(await sqlState(sql().$executeRaw`UPDATE gpus SET allocated_milli = 5 WHERE id = ${ids.gpu0}::uuid`)).toBe(
      '23514',
    );
  });

  it('refuses a share of a GPU on another node than the allocation', async () => {
    const [otherNode] = await sql().$queryRaw<Array<{ id: string }>>`
      INSERT INTO nodes (name, rack_id, cpu_milli, memory_mib, idle_watts, max_watts) VALUES ('n2', ${ids.rack}::uuid, 1, 1, 1, 1) RETURNING id`;
    const [a] = await insertAllocation('p-other', otherNode.id);
    // The share names the allocation's node, but the GPU is on n1: the composite key (gpu_id, node_id) fails.
    const state = await sqlState(
      sql()
        .$executeRaw`INSERT INTO allocation_gpus (allocation_id, gpu_id, node_id, share_milli) VALUES (${a.id}::uuid, ${ids.gpu0}::uuid, ${otherNode.id}::uuid, 100)`,
    );
    expect(state).toBe('23503');
    await sql().$executeRaw`DELETE FROM allocations`;
    await sql().$executeRaw`DELETE FROM nodes WHERE id = ${otherNode.id}::uuid`;
  });

  it('never exceeds 1000 milli for any sequence of share inserts (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 6 }), async (shares) => {
        await sql().$executeRaw`DELETE FROM allocations`;
        let accepted = 0;
        for (let i = 0; i < shares.length; i++) {
          const [a] = await insertAllocation(`prop-${i}`);
          const state = await sqlState(insertShare(a.id, ids.gpu0, shares[i]));
          if (state === undefined) accepted += shares[i];
          else expect(accepted + shares[i]).toBeGreaterThan(1000);
        }
        expect(await allocatedMilli(ids.gpu0)).toBe(accepted);
        expect(accepted).toBeLessThanOrEqual(1000);
      }),
      { numRuns: 25 },
    );
  });
});

describe('two concurrent transactions', () => {
  let first: Client;
  let second: Client;
  beforeEach(async () => {
    first = await connectTestClient(db.location);
    second = await connectTestClient(db.location);
  });
  afterEach(async () => {
    await first.end();
    await second.end();
  });

  async function allocateIn(client: Client, podUid: string, gpuId: string, share: number): Promise<void> {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO allocations (pod_uid, pod_namespace, pod_name, node_id, predicted_watts) VALUES ($1, 'ns', $1, $2, 1) RETURNING id`,
      [podUid, ids.node],
    );
    await client.query(
      `INSERT INTO allocation_gpus (allocation_id, gpu_id, node_id, share_milli) VALUES ($1, $2, $3, $4)`,
      [rows[0].id, gpuId, ids.node, share],
    );
  }

  it.each(['READ COMMITTED', 'REPEATABLE READ', 'SERIALIZABLE'])(
    'cannot both take 600 milli of one GPU under %s',
    async (isolation) => {
      await first.query(`BEGIN ISOLATION LEVEL ${isolation}`);
      await second.query(`BEGIN ISOLATION LEVEL ${isolation}`);
      await allocateIn(first, 'c1', ids.gpu1, 600);
      // The second writer blocks on the GPU row until the first commits, then fails its CHECK
      // (or, under snapshot isolation, fails to serialise); either way it cannot commit.
      const secondOutcome = allocateIn(second, 'c2', ids.gpu1, 600).then(
        () => second.query('COMMIT').then(() => 'committed'),
        async (error: { code?: string }) => {
          await second.query('ROLLBACK');
          return error.code;
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      await first.query('COMMIT');
      const outcome = await secondOutcome;
      expect(['23514', '40001']).toContain(outcome);
      expect(await allocatedMilli(ids.gpu1)).toBe(600);
    },
  );

  it('cannot both allocate the same pod', async () => {
    await first.query('BEGIN');
    await second.query('BEGIN');
    await first.query(
      `INSERT INTO allocations (pod_uid, pod_namespace, pod_name, node_id, predicted_watts) VALUES ('same', 'ns', 'a', $1, 1)`,
      [ids.node],
    );
    const secondInsert = second
      .query(
        `INSERT INTO allocations (pod_uid, pod_namespace, pod_name, node_id, predicted_watts) VALUES ('same', 'ns', 'b', $1, 1)`,
        [ids.node],
      )
      .then(
        () => 'inserted',
        (error: { code?: string }) => error.code,
      );
    await first.query('COMMIT');
    expect(await secondInsert).toBe('23505');
    await second.query('ROLLBACK');
  });
});

describe('allocations', () => {
  it('allow one allocation per pod', async () => {
    await insertAllocation('dup');
    expect(await sqlState(insertAllocation('dup'))).toBe('23505');
  });

  it('refuse a dangling node, GPU or allocation reference', async () => {
    expect(await sqlState(insertAllocation('dangling', '00000000-0000-4000-8000-000000000000'))).toBe('23503');
    const [a] = await insertAllocation('p');
    expect(await sqlState(insertShare(a.id, '00000000-0000-4000-8000-000000000000', 10))).toBe('23503');
    expect(await sqlState(insertShare('00000000-0000-4000-8000-000000000000', ids.gpu0, 10))).toBe('23503');
  });

  it('refuse deleting a GPU that holds a share', async () => {
    const [a] = await insertAllocation('p');
    await insertShare(a.id, ids.gpu0, 10);
    expect(await sqlState(sql().$executeRaw`DELETE FROM gpus WHERE id = ${ids.gpu0}::uuid`)).toBe('23503');
  });
});

describe('scopes', () => {
  it.each([
    ['a rack directly under a hall', 'rack', 'hall'],
    ['a row under a site', 'row', 'site'],
    ['a hall under a row', 'hall', 'row'],
  ] as const)('refuse %s', async (_name, kind, parentKind) => {
    const parentId = { site: ids.site, hall: ids.hall, row: ids.row }[parentKind];
    const state = await sqlState(
      sql().$executeRawUnsafe(
        `INSERT INTO scopes (kind, name, path, parent_id, parent_kind, capacity_watts) VALUES ($1::"ScopeKind", 'x', $2, $3::uuid, $4::"ScopeKind", 1)`,
        kind,
        `x-${kind}-${parentKind}`,
        parentId,
        parentKind,
      ),
    );
    expect(state).toBe('23514');
  });

  it('refuse lying about the parent kind (the composite key checks the real one)', async () => {
    // Claims its parent (the hall) is a row: the CHECK is satisfied, the reference is not.
    const state = await sqlState(
      sql()
        .$executeRaw`INSERT INTO scopes (kind, name, path, parent_id, parent_kind, capacity_watts) VALUES ('rack', 'liar', 'liar', ${ids.hall}::uuid, 'row', 1)`,
    );
    expect(state).toBe('23503');
  });

  it('refuse a parent id without a parent kind, a site with a parent, and a hall without one', async () => {
    expect(
      await sqlState(
        sql()
          .$executeRaw`INSERT INTO scopes (kind, name, path, parent_id, capacity_watts) VALUES ('hall', 'np', 'np', ${ids.site}::uuid, 1)`,
      ),
    ).toBe('23514');
    expect(
      await sqlState(
        sql()
          .$executeRaw`INSERT INTO scopes (kind, name, path, parent_id, parent_kind, capacity_watts) VALUES ('site', 'sp', 'sp', ${ids.site}::uuid, 'site', 1)`,
      ),
    ).toBe('23514');
    expect(
      await sqlState(
        sql().$executeRaw`INSERT INTO scopes (kind, name, path, capacity_watts) VALUES ('hall', 'orphan', 'orphan', 1)`,
      ),
    ).toBe('23514');
  });

  it('refuse changing the kind of a scope that has children', async () => {
    expect(await sqlState(sql().$executeRaw`UPDATE scopes SET kind = 'row' WHERE id = ${ids.hall}::uuid`)).toMatch(
      /^23/,
    );
  });

  it('refuse non-positive capacity and oversubscription below 1.0', async () => {
    expect(await sqlState(sql().$executeRaw`UPDATE scopes SET capacity_watts = 0 WHERE id = ${ids.rack}::uuid`)).toBe(
      '23514',
    );
    expect(
      await sqlState(sql().$executeRaw`UPDATE scopes SET oversubscription_ratio = 0.99 WHERE id = ${ids.rack}::uuid`),
    ).toBe('23514');
    expect(
      await sqlState(sql().$executeRaw`UPDATE scopes SET oversubscription_ratio = 1.0 WHERE id = ${ids.rack}::uuid`),
    ).toBe(undefined);
  });

  it('put nodes only in racks', async () => {
    expect(
      await sqlState(
        sql()
          .$executeRaw`INSERT INTO nodes (name, rack_id, rack_kind, cpu_milli, memory_mib, idle_watts, max_watts) VALUES ('in-row', ${ids.row}::uuid, 'row', 1, 1, 1, 1)`,
      ),
    ).toBe('23514');
    expect(
      await sqlState(
        sql()
          .$executeRaw`INSERT INTO nodes (name, rack_id, cpu_milli, memory_mib, idle_watts, max_watts) VALUES ('in-row2', ${ids.row}::uuid, 1, 1, 1, 1)`,
      ),
    ).toBe('23503');
  });
});

describe('node totals kept by triggers', () => {
  async function totals(): Promise<{ stored: unknown; recomputed: unknown }> {
    const [stored] = await sql().$queryRaw<unknown[]>`
      SELECT gpu_count, allocated_milli, busy_gpus, allocated_watts FROM nodes WHERE id = ${ids.node}::uuid`;
    const [recomputed] = await sql().$queryRaw<unknown[]>`
      SELECT (SELECT count(*)::int FROM gpus WHERE node_id = ${ids.node}::uuid) AS gpu_count,
             (SELECT coalesce(sum(allocated_milli), 0)::int FROM gpus WHERE node_id = ${ids.node}::uuid) AS allocated_milli,
             (SELECT count(*)::int FROM gpus WHERE node_id = ${ids.node}::uuid AND allocated_milli > 0) AS busy_gpus,
             (SELECT coalesce(sum(predicted_watts), 0)::int FROM allocations WHERE node_id = ${ids.node}::uuid) AS allocated_watts`;
    return { stored, recomputed };
  }

  it('match a recomputation after any sequence of allocations, share changes and releases (property)', async () => {
    const operation = fc.oneof(
      fc.record({
        kind: fc.constant('allocate' as const),
        gpu: fc.integer({ min: 0, max: 1 }),
        share: fc.integer({ min: 1, max: 1000 }),
        watts: fc.integer({ min: 0, max: 2000 }),
      }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('reshare' as const), pick: fc.nat(), share: fc.integer({ min: 1, max: 1000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 12 }), async (operations) => {
        await sql().$executeRaw`DELETE FROM allocations`;
        let n = 0;
        for (const op of operations) {
          const live = await sql().$queryRaw<Array<{ id: string }>>`SELECT id FROM allocations ORDER BY id`;
          if (op.kind === 'allocate') {
            const [a] = await sql().$queryRaw<Array<{ id: string }>>`
              INSERT INTO allocations (pod_uid, pod_namespace, pod_name, node_id, predicted_watts) VALUES (${`t-${n++}`}, 'ns', 'p', ${ids.node}::uuid, ${op.watts}) RETURNING id`;
            await sqlState(insertShare(a.id, op.gpu === 0 ? ids.gpu0 : ids.gpu1, op.share));
          } else if (live.length > 0 && op.kind === 'release') {
            await sql().$executeRaw`DELETE FROM allocations WHERE id = ${live[op.pick % live.length].id}::uuid`;
          } else if (live.length > 0 && op.kind === 'reshare') {
            await sqlState(
              sql()
                .$executeRaw`UPDATE allocation_gpus SET share_milli = ${op.share} WHERE allocation_id = ${live[op.pick % live.length].id}::uuid`,
            );
          }
          const { stored, recomputed } = await totals();
          expect(stored).toEqual(recomputed);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('follow GPUs added, moved and removed', async () => {
    const [otherNode] = await sql().$queryRaw<Array<{ id: string }>>`
      INSERT INTO nodes (name, rack_id, cpu_milli, memory_mib, idle_watts, max_watts) VALUES ('n3', ${ids.rack}::uuid, 1, 1, 1, 1) RETURNING id`;
    await sql().$executeRaw`
      INSERT INTO gpus (uuid, node_id, index, product_id, memory_mib, tdp_watts, min_power_limit_watts, max_power_limit_watts)
      SELECT 'GPU-n3-' || i, ${otherNode.id}::uuid, i, ${ids.product}::uuid, 1, 700, 200, 700 FROM generate_series(0, 2) AS i`;
    const count = async (id: string) =>
      (await sql().$queryRaw<Array<{ gpu_count: number }>>`SELECT gpu_count FROM nodes WHERE id = ${id}::uuid`)[0]
        .gpu_count;
    expect(await count(otherNode.id)).toBe(3);
    await sql().$executeRaw`UPDATE gpus SET node_id = ${ids.node}::uuid, index = 7 WHERE uuid = 'GPU-n3-2'`;
    expect([await count(otherNode.id), await count(ids.node)]).toEqual([2, 3]);
    await sql().$executeRaw`DELETE FROM gpus WHERE uuid LIKE 'GPU-n3-%'`;
    expect([await count(otherNode.id), await count(ids.node)]).toEqual([0, 2]);
    await sql().$executeRaw`DELETE FROM nodes WHERE id = ${otherNode.id}::uuid`;
  });

  it('cannot be written directly', async () => {
    expect(await sqlState(sql().$executeRaw`UPDATE nodes SET allocated_watts = 1 WHERE id = ${ids.node}::uuid`)).toBe(
      '23514',
    );
    expect(await sqlState(sql().$executeRaw`UPDATE nodes SET gpu_count = 9 WHERE id = ${ids.node}::uuid`)).toBe(
      '23514',
    );
    expect(
      await sqlState(
        sql()
          .$executeRaw`INSERT INTO nodes (name, rack_id, cpu_milli, memory_mib, idle_watts, max_watts, busy_gpus) VALUES ('x', ${ids.rack}::uuid, 1, 1, 1, 1, 1)`,
      ),
    ).toBe('23514');
  });
});
