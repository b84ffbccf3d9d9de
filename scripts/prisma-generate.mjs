#!/usr/bin/env node
// Generates the Prisma client (libs/inventory/src/generated/prisma) from prisma/schema.prisma.
// Runs at `npm ci` (postinstall) and `npm run db:generate`.
//
// The Prisma CLI downloads its native schema engine at start-up even for `generate`, which does
// not use it; on machines without access to Prisma's download host that download fails. When no
// engine binary is installed, point PRISMA_SCHEMA_ENGINE_BINARY at an existing file so the CLI
// skips the download. Where the engine is present (or the variable is set) nothing changes.
//
// Exit status: 1 when generation itself fails (e.g. an invalid schema); 0 with a warning when
// the Prisma CLI is not installed (a production install without devDependencies), so the install
// never fails for a reason that has nothing to do with generating the client.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function prismaCli() {
  try {
    return require.resolve('prisma/build/index.js');
  } catch {
    return undefined;
  }
}

/** A schema-engine binary installed next to @prisma/engines, as `prisma` would use it. */
function installedEngine() {
  try {
    const enginesDir = dirname(require.resolve('@prisma/engines/package.json'));
    return readdirSync(enginesDir).find((file) => file.startsWith('schema-engine'));
  } catch {
    return undefined;
  }
}

const cli = prismaCli();
if (!cli) {
  console.warn('prisma-generate: the prisma CLI is not installed (devDependencies omitted?); client not generated');
  process.exit(0);
}

const env = { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY && !installedEngine()) {
  // Any existing file will do: `generate` only checks that it is there.
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}

const schema = join(root, 'prisma', 'schema.prisma');
if (!existsSync(schema)) {
  console.warn(`prisma-generate: ${schema} not found; client not generated`);
  process.exit(0);
}
const run = spawnSync(process.execPath, [cli, 'generate', '--schema', schema], { cwd: root, env, stdio: 'inherit' });
if (run.error) {
  console.error(`prisma-generate: could not run the prisma CLI: ${run.error.message}`);
  process.exit(1);
}
process.exit(run.status ?? 1);
