import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestDatabase, type TestDatabase } from '../../../test/support/database';
import { cli } from './cli-harness';

const REPO = join(__dirname, '../../..');
const DEMO = join(REPO, 'deploy/examples/topology-demo.yaml');

describe('import and token (real PostgreSQL)', () => {
  let db: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-import-'));
    env = { DATABASE_URL: db.url, USER: 'alice' };
  });
  afterAll(async () => {
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const counts = async () => {
    const prisma = db.database.prisma;
    return { scopes: await prisma.scope.count(), nodes: await prisma.node.count(), gpus: await prisma.gpu.count() };
  };

  it('rejects an invalid file listing every problem, and writes nothing', async () => {
    const broken = readFileSync(DEMO, 'utf8')
      .replace('capacityWatts: 40000', 'capacityWatts: 0')
      .replace('rack: rack-b04-08', 'rack: rack-nowhere');
    writeFileSync(join(dir, 'broken.yaml'), broken);
    const run = await cli(['import', 'broken.yaml'], { env, cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      'error: broken.yaml: invalid topology, 2 problems:',
      '  halls[0].rows[0].racks[0].capacityWatts: must be > 0',
      '  nodes[252].rack: unknown rack "rack-nowhere"',
    ]);
    expect(await counts()).toEqual({ scopes: 0, nodes: 0, gpus: 0 });
  });

  it('imports the demo, then again with nothing to change (idempotent)', async () => {
    const first = await cli(['import', DEMO, '--json'], { env });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      site: 'demo-dc',
      scopes: { created: 75, updated: 0, unchanged: 0 },
      nodes: { created: 256, updated: 0, unchanged: 0 },
      gpus: { created: 2048, updated: 0, unchanged: 0, removed: 0 },
    });
    expect(first.stderr).toContain('100% (2380/2380'); // progress, as plain lines off a terminal
    expect(await counts()).toEqual({ scopes: 75, nodes: 256, gpus: 2048 });

    const second = await cli(['import', DEMO], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^imported .*topology-demo\.yaml \(site demo-dc\) into PostgreSQL .* in [\d.]+s\n/);
    expect(second.stdout).toMatch(/ nodes +0 created +0 updated +256 unchanged/);
    expect(await counts()).toEqual({ scopes: 75, nodes: 256, gpus: 2048 });

    const audit = await db.database.prisma.auditEvent.findMany({ where: { action: 'topology.import' } });
    expect(audit.map((e) => e.actor)).toEqual(['cli:alice', 'cli:alice']);
  });

  it('changes what changed: a rack budget edit updates one scope', async () => {
    writeFileSync(
      join(dir, 'edited.yaml'),
      readFileSync(DEMO, 'utf8').replace(
        '{ name: rack-a01-01, capacityWatts: 40000',
        '{ name: rack-a01-01, capacityWatts: 36000',
      ),
    );
    const run = await cli(['import', 'edited.yaml', '--json'], { env, cwd: dir });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).scopes).toEqual({ created: 0, updated: 1, unchanged: 74, removed: 0 });
  });

  it('exits 2 for a missing file', async () => {
    const run = await cli(['import', 'nope.yaml'], { env, cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('error: topology file nope.yaml: no such file');
  });

  it('creates, lists and revokes tokens; secrets appear once and are stored only hashed', async () => {
    const created = await cli(['token', 'create', '--role', 'operator', '--name', 'ci-pipeline'], { env });
    expect(created.code).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^sy_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(
      /^created operator token "ci-pipeline" \(id [0-9a-f-]{36}\); it is shown only this once:\n$/,
    );

    const json = await cli(['token', 'create', '--role', 'viewer', '--json'], { env });
    expect(JSON.parse(json.stdout)).toEqual({
      id: expect.any(String),
      name: 'cli',
      role: 'viewer',
      createdAt: expect.any(String),
      revokedAt: null,
      lastUsedAt: null,
      token: expect.stringMatching(/^sy_/),
    });

    const stored = await db.database.prisma.apiToken.findMany();
    expect(JSON.stringify(stored)).not.toContain(secret);

    const list = await cli(['token', 'list', '--json'], { env });
    const items = JSON.parse(list.stdout).items as Array<{ id: string; name: string; revokedAt: string | null }>;
    expect(items.map((t) => t.name).sort()).toEqual(['ci-pipeline', 'cli']);
    expect(list.stdout).not.toContain('sy_');
    const ci = items.find((t) => t.name === 'ci-pipeline')!;

    const revoked = await cli(['token', 'revoke', ci.id], { env });
    expect(revoked).toEqual({ code: 0, stdout: `revoked operator token "ci-pipeline" (id ${ci.id})\n`, stderr: '' });
    const again = await cli(['token', 'revoke', ci.id], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`error: token ${ci.id} is already revoked\n`);

    const active = await cli(['token', 'list', '--active'], { env });
    expect(active.stdout.split('\n')[0]).toMatch(/^ID +NAME +ROLE +CREATED +LAST USED +REVOKED$/);
    expect(active.stdout).not.toContain('ci-pipeline');
    const unknown = await cli(['token', 'revoke', '00000000-0000-4000-8000-000000000000'], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: token 00000000-0000-4000-8000-000000000000 not found\n');
  });

  it.each([
    [['token', 'create'], "error: required option '--role <role>' not specified"],
    [
      ['token', 'create', '--role', 'root'],
      "error: option '--role <role>' argument 'root' is invalid. Allowed choices are viewer, operator, admin.",
    ],
    [['token', 'create', '--role', 'admin', '--name', ''], 'error: --name "": must not be empty'],
    [['token', 'revoke', '42'], 'error: token id "42" is not a UUID (see switchyard token list)'],
  ])('%j exits 2', async (argv, message) => {
    const run = await cli(argv, { env });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(message);
  });
});
