/** `switchyard import --prune` and the one-site rule, against real PostgreSQL. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTopology, stringifyTopology, type TopologyDocument } from '@switchyard/contracts';
import { Inventory } from '@switchyard/inventory';
import { openTestDatabase, type TestDatabase } from '../../../test/support/database';
import { cli } from './cli-harness';

describe('import --prune (real PostgreSQL)', () => {
  let db: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const full = generateTopology('demo', { halls: 2, rowsPerHall: 1, racksPerRow: 1, nodesPerRack: 2 });
  const oneHall: TopologyDocument = {
    ...structuredClone(full),
    halls: [structuredClone(full.halls[0])],
    nodes: structuredClone(full.nodes.slice(0, 2)),
  };
  const write = (name: string, doc: TopologyDocument) => writeFileSync(join(dir, name), stringifyTopology(doc));
  const counts = async () => ({
    scopes: await db.database.prisma.scope.count(),
    nodes: await db.database.prisma.node.count(),
  });

  beforeAll(async () => {
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-prune-'));
    env = { DATABASE_URL: db.url, USER: 'alice' };
    write('full.yaml', full);
    write('one-hall.yaml', oneHall);
    write('other-site.yaml', { ...structuredClone(full), site: { ...full.site, name: 'other-dc' } });
    expect((await cli(['import', 'full.yaml'], { env, cwd: dir })).code).toBe(0);
  });
  afterAll(async () => {
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a file of another site, naming site.name, and writes nothing', async () => {
    const run = await cli(['import', 'other-site.yaml'], { env, cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /other-site\.yaml: invalid topology, 1 problem:\n {2}site\.name: is "other-dc", but this database holds site "demo-dc"/,
    );
    expect(await counts()).toEqual({ scopes: 7, nodes: 4 });
  });

  it('keeps what the file omits without --prune; with it, refuses to remove a node holding a pod, then removes', async () => {
    expect((await cli(['import', 'one-hall.yaml'], { env, cwd: dir })).code).toBe(0);
    expect(await counts()).toEqual({ scopes: 7, nodes: 4 });

    const inventory = new Inventory(db.database);
    const held = full.nodes[3].name;
    await inventory.allocations.create({
      podUid: 'p',
      podNamespace: 'ml',
      podName: 'p',
      nodeName: held,
      gpus: [{ index: 0, shareMilli: 1000 }],
      predictedWatts: 700,
    });
    const refused = await cli(['import', 'one-hall.yaml', '--prune'], { env, cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('nothing was written: 4 conflict(s) with live allocations:');
    expect(refused.stderr).toContain(
      `(document): node ${held} (not in the document, pruned): it holds 1 allocation(s) and cannot be removed`,
    );
    expect(await counts()).toEqual({ scopes: 7, nodes: 4 });

    await inventory.allocations.release('p');
    const pruned = await cli(['import', 'one-hall.yaml', '--prune'], { env, cwd: dir });
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(/ scopes +0 created +0 updated +4 unchanged +3 removed/);
    expect(pruned.stdout).toMatch(/ nodes +0 created +0 updated +2 unchanged +2 removed/);
    expect(await counts()).toEqual({ scopes: 4, nodes: 2 });
  });
});
