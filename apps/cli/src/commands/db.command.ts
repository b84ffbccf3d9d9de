import { Command } from 'commander';
import { withDatabase, databaseTarget } from '../cli-database';
import { writeJson, type CliIo } from '../cli-io';

export function dbCommand(io: CliIo): Command {
  const db = new Command('db').description(
    'database maintenance (DATABASE_URL, else embedded PGlite under SWITCHYARD_DATA_DIR)',
  );
  db.command('migrate')
    .description('apply pending migrations from prisma/migrations (safe while the control plane runs)')
    .option('--json', 'print { database, applied, alreadyApplied } as JSON')
    .action(async (options: { json?: boolean }) => {
      const target = databaseTarget(io);
      const result = await withDatabase(io, async (_database, migrated) => migrated);
      if (options.json) {
        writeJson(io, { database: target.description, applied: result.applied, alreadyApplied: result.alreadyApplied });
        return;
      }
      const lines =
        result.applied.length === 0
          ? [`${target.description}: up to date (${result.alreadyApplied.length} migrations applied earlier)`]
          : [
              `${target.description}: applied ${result.applied.length} migration(s):`,
              ...result.applied.map((name) => `  ${name}`),
            ];
      io.stdout.write(`${lines.join('\n')}\n`);
    });
  return db;
}
