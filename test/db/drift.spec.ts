/**
 * schema.prisma and prisma/migrations must describe the same database: Prisma's schema engine
 * (WebAssembly build, through scripts/db-diff.mjs) replays the migrations in a shadow database
 * and diffs the result against schema.prisma, as `prisma migrate diff --exit-code` would.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { migrate, migrationStatus } from '@switchyard/inventory';
import { openTestDatabase, TEST_DATABASE_URL } from '../support/database';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

/** Runs scripts/db-diff.mjs (Prisma's schema engine) against `databaseUrl`. */
async function engine(
  args: string[],
  databaseUrl = TEST_DATABASE_URL,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(root, 'scripts', 'db-diff.mjs'), ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const diff = (...args: string[]) => engine(['--exit-code', ...args]);

describe('schema drift', () => {
  it('finds no difference between prisma/schema.prisma and prisma/migrations', async () => {
    const result = await diff();
    expect(result).toMatchObject({ code: 0, stdout: '' });
  });

  it('notices a schema.prisma change that has no migration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-drift-'));
    try {
      const schema = readFileSync(join(root, 'prisma', 'schema.prisma'), 'utf8').replace(
        /model Tenant \{\n/,
        'model Tenant {\n  costCenter String? @map("cost_center")\n',
      );
      writeFileSync(join(dir, 'schema.prisma'), schema);
      const result = await diff('--schema', join(dir, 'schema.prisma'));
      expect(result.code).toBe(2);
      expect(result.stdout).toMatch(/ALTER TABLE "tenants" ADD COLUMN\s+"cost_center" TEXT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("agrees with Prisma's engine about what our runner applied, and the other way round", async () => {
    const ours = await openTestDatabase({ migrate: false });
    const theirs = await openTestDatabase({ migrate: false });
    try {
      await migrate(ours.database);
      const diagnosis = await engine(['--diagnose'], ours.url);
      expect(diagnosis.code).toBe(0);
      expect(JSON.parse(diagnosis.stdout)).toMatchObject({
        history: null,
        editedMigrationNames: [],
        failedMigrationNames: [],
      });

      // `prisma migrate deploy` (the engine's applyMigrations) first: our runner then finds nothing to do.
      expect((await engine(['--deploy'], theirs.url)).code).toBe(0);
      expect(await migrationStatus(theirs.database)).toMatchObject({ pending: [], failed: [], upToDate: true });
      expect((await migrate(theirs.database)).applied).toEqual([]);
    } finally {
      await ours.dispose();
      await theirs.dispose();
    }
  });
});
