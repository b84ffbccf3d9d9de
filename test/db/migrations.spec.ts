/** The migration runner: Prisma's folder and table format, idempotence, concurrency, refusal of edited history. */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultMigrationsDir,
  Inventory,
  migrate,
  MigrationError,
  migrationStatus,
  openDatabase,
  readMigrations,
} from '@switchyard/inventory';
import { openTestDatabase, openTestPglite, TEST_DATABASE_URL, type TestDatabase } from '../support/database';

const migrationNames = readMigrations().map((m) => m.name);

function copyOfMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-migrations-'));
  cpSync(defaultMigrationsDir(), dir, { recursive: true });
  return dir;
}

describe('migration runner on PostgreSQL', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await openTestDatabase({ migrate: false });
  });
  afterEach(() => db.dispose());

  it('applies every migration to an empty schema and records it as prisma migrate deploy does', async () => {
    expect(migrationNames.length).toBeGreaterThanOrEqual(2);
    const result = await migrate(db.database);
    expect(result.applied).toEqual(migrationNames);
    const rows = await db.database.prisma.$queryRaw<
      Array<{
        id: string;
        checksum: string;
        finished_at: Date | null;
        migration_name: string;
        logs: string | null;
        rolled_back_at: Date | null;
        started_at: Date;
        applied_steps_count: number;
      }>
    >`SELECT * FROM "_prisma_migrations" ORDER BY migration_name`;
    expect(rows.map((r) => r.migration_name)).toEqual(migrationNames);
    for (const row of rows) {
      const file = readFileSync(join(defaultMigrationsDir(), row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(file).digest('hex'));
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row).toMatchObject({ logs: null, rolled_back_at: null, applied_steps_count: 1 });
    }
    // The schema works: the generated client can use it.
    expect(await new Inventory(db.database).isEmpty()).toBe(true);
  });

  it('does nothing the second time', async () => {
    await migrate(db.database);
    const again = await migrate(db.database);
    expect(again).toEqual({ applied: [], alreadyApplied: migrationNames });
    expect(await migrationStatus(db.database)).toEqual({ pending: [], unknown: [], failed: [], upToDate: true });
  });

  it('lets two instances start at once: each migration is applied exactly once', async () => {
    const other = await openDatabase({
      databaseUrl: TEST_DATABASE_URL,
      dataDir: tmpdir(),
      schema: db.location,
      poolSize: 2,
    });
    try {
      const [a, b] = await Promise.all([migrate(db.database), migrate(other)]);
      expect([...a.applied, ...b.applied].sort()).toEqual(migrationNames);
      const [{ n }] = await db.database.prisma.$queryRaw<
        Array<{ n: number }>
      >`SELECT count(*)::int AS n FROM "_prisma_migrations"`;
      expect(n).toBe(migrationNames.length);
    } finally {
      await other.close();
    }
  });

  it('reports pending migrations before applying them', async () => {
    const status = await migrationStatus(db.database);
    expect(status).toMatchObject({ pending: migrationNames, upToDate: false });
  });

  it('refuses to run over a migration edited after it was applied', async () => {
    const dir = copyOfMigrations();
    try {
      await migrate(db.database, dir);
      appendFileSync(join(dir, migrationNames[0], 'migration.sql'), '\n-- edited\n');
      await expect(migrate(db.database, dir)).rejects.toThrow(/modified after it was applied/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rolls back a failing migration completely and applies it once fixed', async () => {
    const dir = copyOfMigrations();
    try {
      const broken = join(dir, '99990101000000_broken');
      mkdirSync(broken);
      writeFileSync(join(broken, 'migration.sql'), 'CREATE TABLE "half_done" (id int);\nSELECT no_such_function();\n');
      const error = await migrate(db.database, dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationError);
      expect((error as MigrationError).migration).toBe('99990101000000_broken');
      const [{ present }] = await db.database.prisma.$queryRaw<
        Array<{ present: boolean }>
      >`SELECT to_regclass('half_done') IS NOT NULL AS present`;
      expect(present).toBe(false);
      expect((await migrationStatus(db.database, dir)).pending).toEqual(['99990101000000_broken']);

      writeFileSync(join(broken, 'migration.sql'), 'CREATE TABLE "half_done" (id int);\n');
      expect((await migrate(db.database, dir)).applied).toEqual(['99990101000000_broken']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to continue after a migration that a previous run left failed', async () => {
    await migrate(db.database);
    await db.database.prisma
      .$executeRaw`INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ('x', 'y', '99990101000000_failed')`;
    await expect(migrate(db.database)).rejects.toThrow(/failed earlier/);
  });
});

describe('embedded PGlite', () => {
  it('keeps its data across restarts and refuses a second opener', async () => {
    const first = await openTestPglite();
    const dataDir = first.location;
    try {
      await new Inventory(first.database).tenants.create({ name: 'kept' }, { actor: 'test' });
      await expect(openDatabase({ dataDir })).rejects.toThrow(/already open in this process|in use by process/);
      await first.database.close();

      const reopened = await openDatabase({ dataDir });
      try {
        expect((await migrate(reopened)).applied).toEqual([]);
        expect(await new Inventory(reopened).tenants.findByName('kept')).toMatchObject({ name: 'kept' });
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
