/**
 * The database the CLI works on: the same one the control plane uses, chosen by the same
 * variables (DATABASE_URL, else embedded PGlite under SWITCHYARD_DATA_DIR, default
 * ./.switchyard), migrated before use as the control plane does at start.
 */
import { resolve } from 'node:path';
import { migrate, openDatabase, type Database, type MigrateResult } from '@switchyard/inventory';
import { CommandFailure, UsageError, messageOf } from './cli-errors';
import type { CliIo } from './cli-io';

export interface CliDatabaseTarget {
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** For messages: the URL without its password, or the PGlite directory. */
  readonly description: string;
}

/** SWITCHYARD_DATA_DIR, default ./.switchyard, as the control plane resolves it. */
export function cliDataDir(io: CliIo): string {
  return resolve(io.cwd, io.env.SWITCHYARD_DATA_DIR?.trim() || './.switchyard');
}

export function databaseTarget(io: CliIo): CliDatabaseTarget {
  const databaseUrl = io.env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl !== undefined && !(/^postgres(ql)?:\/\/./.test(databaseUrl) && URL.canParse(databaseUrl))) {
    throw new UsageError('DATABASE_URL must be a postgresql:// connection URL (or unset for the embedded database)');
  }
  const dataDir = cliDataDir(io);
  return {
    databaseUrl,
    dataDir,
    description: databaseUrl ? `PostgreSQL ${redactPassword(databaseUrl)}` : `embedded PGlite in ${dataDir}`,
  };
}

/** Opens and migrates the database, runs `work`, and always closes it. */
export async function withDatabase<T>(
  io: CliIo,
  work: (database: Database, migrated: MigrateResult) => Promise<T>,
): Promise<T> {
  const target = databaseTarget(io);
  let database: Database;
  try {
    database = await openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
    await database.ping();
  } catch (error) {
    throw new CommandFailure(`cannot open the database (${target.description}): ${messageOf(error)}`);
  }
  try {
    let migrated: MigrateResult;
    try {
      migrated = await migrate(database);
    } catch (error) {
      throw new CommandFailure(`cannot migrate the database (${target.description}): ${messageOf(error)}`);
    }
    return await work(database, migrated);
  } finally {
    await database.close().catch(() => undefined);
  }
}

function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
