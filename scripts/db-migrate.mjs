#!/usr/bin/env node
// `npm run db:migrate`: applies pending migrations of prisma/migrations to the configured
// database (DATABASE_URL, else the embedded PGlite in SWITCHYARD_DATA_DIR or ./.switchyard),
// with the same runner the control plane uses at start-up. Needs the build (`npm run build`).
//   node scripts/db-migrate.mjs [--status]
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'libs', 'inventory', 'src', 'index.js');
if (!existsSync(built)) {
  console.error(`db-migrate: ${built} not found; run \`npm run build\` first`);
  process.exit(1);
}
const { openDatabase, migrate, migrationStatus } = createRequire(import.meta.url)(built);

const databaseUrl = process.env.DATABASE_URL || undefined;
const dataDir = resolve(process.env.SWITCHYARD_DATA_DIR || '.switchyard');
const where = databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${dataDir}`;

try {
  const database = await openDatabase({ databaseUrl, dataDir, poolSize: 1 });
  try {
    if (process.argv.includes('--status')) {
      const status = await migrationStatus(database);
      console.log(JSON.stringify({ database: where, ...status }, null, 2));
      process.exitCode = status.upToDate ? 0 : 2;
    } else {
      const result = await migrate(database);
      if (result.applied.length === 0)
        console.log(`${where}: up to date (${result.alreadyApplied.length} migrations applied)`);
      for (const name of result.applied) console.log(`${where}: applied ${name}`);
    }
  } finally {
    await database.close();
  }
} catch (error) {
  console.error(`db-migrate: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
