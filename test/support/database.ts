/**
 * Real databases for tests, with the real migrations applied.
 *
 *   const db = await openTestDatabase();          // PostgreSQL on TEST_DATABASE_URL, a fresh schema
 *   const db = await openTestPglite();            // embedded PGlite in a fresh temporary directory
 *   ...  db.database.prisma / new Inventory(db.database)
 *   await db.dispose();                           // closes it and drops the schema / deletes the directory
 *   await truncateAll(db.database);               // empties every table between tests (much faster than reopening)
 *
 * Every call gets its own schema (`t_<random>`) or directory, so test files (and tests) running
 * in parallel never see each other's rows. `TEST_DATABASE_URL` defaults to
 * postgresql://postgres@127.0.0.1:5432/test. `openTestDatabases()` returns both backends, for
 * suites that must pass on each (`describe.each`).
 *
 * Typical use in a test file:
 *   let db: TestDatabase;
 *   beforeAll(async () => { db = await openTestDatabase(); });
 *   afterAll(() => db.dispose());
 */
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { TopologyDocument } from '@switchyard/contracts';
import {
  Inventory,
  migrate,
  openDatabase,
  readMigrations,
  type Database,
  type DatabaseKind,
} from '@switchyard/inventory';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  readonly database: Database;
  readonly kind: DatabaseKind;
  /** The PostgreSQL schema (postgres) or the data directory (pglite). */
  readonly location: string;
  /** The URL with `?schema=`, so a second process (or a second `openDatabase`) can reach the same rows; undefined for PGlite. */
  readonly url: string | undefined;
  dispose(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Apply the migrations (default true). */
  migrate?: boolean;
}

/** A fresh schema on the test PostgreSQL server, migrated. */
export async function openTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const url = withSchema(TEST_DATABASE_URL, schema);
  const database = await openDatabase({ databaseUrl: TEST_DATABASE_URL, dataDir: tmpdir(), schema, poolSize: 4 });
  try {
    if (options.migrate !== false) await migrate(database);
    else await database.withSession((session) => session.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"`));
  } catch (error) {
    await database.close();
    await dropSchema(schema);
    throw error;
  }
  return {
    database,
    kind: 'postgres',
    location: schema,
    url,
    async dispose() {
      await database.close();
      await dropSchema(schema);
    },
  };
}

/** Embedded PGlite in a fresh temporary directory, migrated. */
export async function openTestPglite(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const migrated = options.migrate !== false;
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-pglite-'));
  let database: Database | undefined;
  try {
    cpSync(await pgliteTemplate(migrated), join(dataDir, 'pglite'), { recursive: true });
    database = await openDatabase({ dataDir });
    if (migrated) await migrate(database);
  } catch (error) {
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const opened = database;
  return {
    database: opened,
    kind: 'pglite',
    location: dataDir,
    url: undefined,
    async dispose() {
      await opened.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * PGlite loads Node built-ins with dynamic `import()`, which jest's sandbox only allows with
 * --experimental-vm-modules; unhandled, that failure kills the whole jest process. jest must
 * transform PGlite's CommonJS build (`.cjs` in `transform`, `@electric-sql/pglite` excepted in
 * `transformIgnorePatterns`) so @swc/jest turns those imports into require(). Fail this test
 * with that explanation instead.
 */
function assertPgliteRunsUnderJest(): void {
  if (process.env.JEST_WORKER_ID === undefined) return;
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`;
  if (nodeOptions.includes('--experimental-vm-modules')) return;
  const root = join(__dirname, '..', '..');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require(join(root, 'jest.config.js')) as {
    transform?: Record<string, unknown>;
    transformIgnorePatterns?: string[];
  };
  const entry = join(root, 'node_modules', '@electric-sql', 'pglite', 'dist', 'index.cjs');
  const transformed =
    Object.keys(config.transform ?? {}).some((pattern) => new RegExp(pattern).test(entry)) &&
    !(config.transformIgnorePatterns ?? []).some((pattern) => new RegExp(pattern).test(entry));
  if (!transformed) {
    throw new Error(
      "PGlite cannot start under this jest configuration: add '.cjs' to the @swc/jest transform pattern and " +
        "'@electric-sql/pglite' to the transformIgnorePatterns exceptions in jest.config.js",
    );
  }
}

/**
 * Creating a PGlite cluster runs initdb in WebAssembly (10-20 s on a busy 2-core machine);
 * opening a copy of one takes about a second. Test files share a template cluster per set of
 * migrations, built once in the temp directory by whichever test file needs it first.
 */
async function pgliteTemplate(migrated: boolean): Promise<string> {
  assertPgliteRunsUnderJest();
  const manifest = join(__dirname, '..', '..', 'node_modules', '@electric-sql', 'pglite', 'package.json');
  const pgliteVersion = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  const key = createHash('sha256')
    .update(pgliteVersion)
    .update(
      migrated
        ? readMigrations()
            .map((m) => `${m.name}:${m.checksum}`)
            .join(',')
        : 'empty',
    )
    .digest('hex')
    .slice(0, 16);
  const template = join(tmpdir(), `switchyard-pglite-template-${key}`);
  if (existsSync(template)) return template;
  const building = mkdtempSync(join(tmpdir(), 'switchyard-pglite-building-'));
  try {
    const database = await openDatabase({ dataDir: building });
    try {
      if (migrated) await migrate(database);
    } finally {
      await database.close();
    }
    try {
      renameSync(join(building, 'pglite'), template);
    } catch (error) {
      // Another test file built it at the same time: use theirs.
      if (!existsSync(template)) throw error;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return template;
}

/** Empties every table (keeping the migrations), faster than a new database between tests. */
export async function truncateAll(database: Database): Promise<void> {
  await database.withSession((session) =>
    session.exec(
      'TRUNCATE allocation_gpus, allocations, deployments, model_profile_products, model_profiles, tenants, gpus, nodes, ' +
        'budget_overrides, scopes, gpu_products, audit_events, api_tokens RESTART IDENTITY CASCADE',
    ),
  );
}

/** For `describe.each(BACKENDS)`: the same suite on both backends. */
export const BACKENDS: ReadonlyArray<{
  kind: DatabaseKind;
  open: (options?: TestDatabaseOptions) => Promise<TestDatabase>;
}> = [
  { kind: 'postgres', open: openTestDatabase },
  { kind: 'pglite', open: openTestPglite },
];

/** A plain pg client on the test server (e.g. for a second concurrent transaction); the caller ends it. */
export async function connectTestClient(schema?: string): Promise<Client> {
  const client = new Client({
    connectionString: TEST_DATABASE_URL,
    ...(schema ? { options: `-c search_path="${schema}"` } : {}),
  });
  await client.connect();
  return client;
}

function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

async function dropSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A test database from `open` with `topology` imported, and its node names in order (at most 100). */
export async function openWithTopology(
  open: () => Promise<TestDatabase>,
  topology: TopologyDocument,
): Promise<{ db: TestDatabase; inventory: Inventory; nodes: string[] }> {
  const db = await open();
  const inventory = new Inventory(db.database);
  await inventory.topology.import(topology, { actor: 'test' });
  const nodes = (await inventory.nodes.list({ limit: 100 })).items.map((n) => n.name).sort();
  return { db, inventory, nodes };
}
