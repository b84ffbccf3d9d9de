/**
 * The one way to open Switchyard's database: a real PostgreSQL server through
 * `@prisma/adapter-pg` when a URL is given, otherwise embedded PGlite in a data directory.
 * Both run the same migrations and the same generated Prisma client.
 */
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, type PoolClient } from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/prisma/client';

export type DatabaseKind = 'postgres' | 'pglite';

export interface OpenDatabaseOptions {
  /** postgresql://... ; when absent, embedded PGlite in `dataDir`. A `?schema=` parameter (Prisma's convention) selects the schema. */
  databaseUrl?: string;
  /** Where PGlite keeps its files (`<dataDir>/pglite`); ignored for PostgreSQL. */
  dataDir: string;
  /** PostgreSQL schema to use (default: the URL's `schema` parameter, else `public`). */
  schema?: string;
  /** Connections in the PostgreSQL pool (default 10). */
  poolSize?: number;
  /** How long opening a PostgreSQL connection may take before it fails (default 10 s). */
  connectTimeoutMs?: number;
}

/** One connection held for a sequence of statements (migrations, advisory locks). */
export interface DatabaseSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a multi-statement script as PostgreSQL's simple protocol does (semicolons in comments and function bodies are fine). */
  exec(script: string): Promise<void>;
}

export interface Database {
  readonly prisma: PrismaClient;
  readonly kind: DatabaseKind;
  /** The PostgreSQL schema every table lives in. */
  readonly schema: string;
  /** Resolves when the database answers a query. */
  ping(): Promise<void>;
  /**
   * A read straight through the driver, for hot paths where Prisma's raw-query row decoding
   * costs more than the query (the scope tree: ~3x faster at campus size). Use int4/float8/text
   * columns (int8 decodes differently per driver).
   */
  read<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs `work` on one dedicated connection (not through Prisma). */
  withSession<T>(work: (session: DatabaseSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPglite(options.dataDir);
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function splitSchemaParameter(databaseUrl: string): { url: string; schema?: string } {
  let parsed: URL;
  try {
    parsed = new URL(databaseUrl);
  } catch {
    throw new TypeError('DATABASE_URL is not a valid URL (expected postgresql://user@host:port/database)');
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new TypeError(`DATABASE_URL must start with postgresql:// (got ${parsed.protocol}//)`);
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  return { url: parsed.toString(), schema };
}

async function openPostgres(databaseUrl: string, options: OpenDatabaseOptions): Promise<Database> {
  const { url, schema: urlSchema } = splitSchemaParameter(databaseUrl);
  const schema = options.schema ?? urlSchema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new TypeError(`invalid PostgreSQL schema name ${JSON.stringify(schema)}`);
  // search_path on every connection: raw SQL and the migration triggers resolve names in `schema`.
  const pool = new Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    options: `-c search_path="${schema}"`,
    // A server that does not answer (restarting, unreachable) fails the attempt after 10 s
    // instead of holding the caller forever (pg's default); callers retry with their backoff.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    // TCP keepalive: a connection to a server that vanished without closing it is noticed.
    keepAlive: true,
  });
  // An idle connection dropped by the server (a restart) must not crash the process; the pool
  // discards it and opens a new one for the next query.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema }) });
  return {
    prisma,
    kind: 'postgres',
    schema,
    async ping() {
      await pool.query('SELECT 1');
    },
    async read<T>(sql: string, params: unknown[] = []) {
      return (await pool.query(sql, params)).rows as T[];
    },
    async withSession(work) {
      const client = await pool.connect();
      try {
        return await work(pgSession(client));
      } finally {
        client.release();
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

function pgSession(client: PoolClient): DatabaseSession {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rows as T[];
    },
    async exec(script) {
      await client.query(script);
    },
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const directory = join(dataDir, 'pglite');
  mkdirSync(directory, { recursive: true });
  const releaseLock = lockDataDirectory(dataDir);
  let client: PGlite;
  try {
    client = await PGlite.create(directory);
  } catch (error) {
    releaseLock();
    throw error;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(client) });
  return {
    prisma,
    kind: 'pglite',
    schema: 'public',
    async ping() {
      await client.query('SELECT 1');
    },
    async read<T>(sql: string, params: unknown[] = []) {
      return (await client.query<T>(sql, params)).rows;
    },
    async withSession(work) {
      return work({
        async query<T>(sql: string, params: unknown[] = []) {
          return (await client.query<T>(sql, params)).rows;
        },
        async exec(script) {
          await client.exec(script);
        },
      });
    },
    async close() {
      await prisma.$disconnect();
      await client.close();
      releaseLock();
    },
  };
}

/**
 * PGlite is single-process: a second process opening the same files would corrupt them.
 * A lock file holding our pid refuses that, and is taken over when its process is gone.
 */
function lockDataDirectory(dataDir: string): () => void {
  const lockPath = join(dataDir, 'pglite.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
        throw new Error(
          `the embedded database in ${dataDir} is in use by process ${holder}; stop it, or set DATABASE_URL to share a PostgreSQL server`,
        );
      }
      if (holder === process.pid) {
        throw new Error(`the embedded database in ${dataDir} is already open in this process`);
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`could not lock the embedded database in ${dataDir}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
