/**
 * Applies `prisma/migrations` the way `prisma migrate deploy` does, without Prisma's native
 * engine: same folder format, same `_prisma_migrations` rows (checksum = sha256 hex of
 * migration.sql), same advisory lock, so either tool can take over from the other.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Database, DatabaseSession } from './database';

/** The lock key `prisma migrate` takes, so this runner and Prisma's exclude each other. */
export const MIGRATION_ADVISORY_LOCK = 72707369;

export interface MigrationFile {
  /** Folder name, e.g. `20261129042626_init`; folders apply in name order. */
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrateResult {
  readonly applied: string[];
  readonly alreadyApplied: string[];
}

export interface MigrationStatus {
  readonly pending: string[];
  /** Applied in the database but absent from the folder (the database is ahead of this build). */
  readonly unknown: string[];
  /** Started but never finished (a failed `prisma migrate deploy`). */
  readonly failed: string[];
  readonly upToDate: boolean;
}

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly migration?: string,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

/** `prisma/migrations` of this checkout or installation, found upwards from this file. */
export function defaultMigrationsDir(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'prisma', 'migrations');
    if (existsSync(join(candidate, 'migration_lock.toml'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new MigrationError(`prisma/migrations not found above ${__dirname}`);
    dir = parent;
  }
}

export function readMigrations(migrationsDir: string = defaultMigrationsDir()): MigrationFile[] {
  const dir = resolve(migrationsDir);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') };
    });
}

// Prisma's own definition of the table (schema-engine, sql-migration-connector).
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

async function appliedRows(session: DatabaseSession): Promise<AppliedRow[] | undefined> {
  const [exists] = await session.query<{ present: boolean }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`,
  );
  if (!exists?.present) return undefined;
  return session.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
  );
}

function classify(files: MigrationFile[], rows: AppliedRow[]): MigrationStatus & { finished: Map<string, AppliedRow> } {
  const live = rows.filter((row) => row.rolled_back_at === null);
  const finished = new Map(live.filter((row) => row.finished_at !== null).map((row) => [row.migration_name, row]));
  const failed = live.filter((row) => row.finished_at === null).map((row) => row.migration_name);
  const onDisk = new Set(files.map((file) => file.name));
  const pending = files.filter((file) => !finished.has(file.name)).map((file) => file.name);
  const unknown = [...finished.keys()].filter((name) => !onDisk.has(name));
  return { pending, unknown, failed, upToDate: pending.length === 0 && failed.length === 0, finished };
}

/** What `migrate` would do; for /readyz. */
export async function migrationStatus(database: Database, migrationsDir?: string): Promise<MigrationStatus> {
  const files = readMigrations(migrationsDir);
  const rows = await database.withSession((session) => appliedRows(session));
  const { pending, unknown, failed, upToDate } = classify(files, rows ?? []);
  return { pending, unknown, failed, upToDate };
}

/**
 * Applies pending migrations, each in its own transaction (PostgreSQL DDL is transactional, so
 * a failing migration leaves nothing behind and is retried at the next start). Safe when
 * several instances start at once: they queue on an advisory lock and the later ones find
 * nothing to do. Refuses to run over a migration that was edited after it was applied.
 */
export async function migrate(database: Database, migrationsDir?: string): Promise<MigrateResult> {
  const files = readMigrations(migrationsDir);
  return database.withSession(async (session) => {
    await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_ADVISORY_LOCK]);
    try {
      if (database.schema !== 'public') await session.exec(`CREATE SCHEMA IF NOT EXISTS "${database.schema}"`);
      await session.exec(CREATE_MIGRATIONS_TABLE);
      const status = classify(files, (await appliedRows(session)) ?? []);
      if (status.failed.length > 0) {
        throw new MigrationError(
          `migration ${status.failed[0]} failed earlier and was not rolled back; fix the database, then mark it with ` +
            '`prisma migrate resolve --rolled-back <name>` (or delete its row in _prisma_migrations)',
          status.failed[0],
        );
      }
      for (const file of files) {
        const row = status.finished.get(file.name);
        if (row && row.checksum !== file.checksum) {
          throw new MigrationError(
            `migration ${file.name} was modified after it was applied (checksum ${row.checksum} in the database, ${file.checksum} on disk); ` +
              'never edit an applied migration, add a new one',
            file.name,
          );
        }
      }
      const applied: string[] = [];
      for (const file of files) {
        if (status.finished.has(file.name)) continue;
        await applyOne(session, file);
        applied.push(file.name);
      }
      return {
        applied,
        alreadyApplied: [...status.finished.keys()].filter((name) => files.some((f) => f.name === name)),
      };
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_ADVISORY_LOCK]);
    }
  });
}

async function applyOne(session: DatabaseSession, file: MigrationFile): Promise<void> {
  await session.exec('BEGIN');
  try {
    const id = randomUUID();
    await session.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)`,
      [id, file.checksum, file.name],
    );
    await session.exec(file.sql);
    await session.query(
      `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await session.exec('COMMIT');
  } catch (error) {
    await session.exec('ROLLBACK').catch(() => undefined);
    const detail = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`migration ${file.name} failed and was rolled back: ${detail}`, file.name);
  }
}
