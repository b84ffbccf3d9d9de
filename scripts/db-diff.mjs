#!/usr/bin/env node
// Prisma's schema engine (WebAssembly build, `@prisma/schema-engine-wasm`) without the native
// binary the Prisma CLI would download. The only place that touches this internal Prisma API.
//
//   node scripts/db-diff.mjs                 SQL that brings prisma/migrations up to schema.prisma (empty when in sync)
//   node scripts/db-diff.mjs --exit-code     same, exit 2 when there is a difference (drift check)
//   node scripts/db-diff.mjs --from-empty    SQL of the whole schema.prisma
//   node scripts/db-diff.mjs --create NAME   write prisma/migrations/<timestamp>_NAME/migration.sql from that difference
//   node scripts/db-diff.mjs --diagnose      ask the engine how the database of DATABASE_URL (`?schema=` honoured)
//                                            compares with prisma/migrations, as `prisma migrate status` does;
//                                            exit 2 unless it is up to date
//   node scripts/db-diff.mjs --deploy        apply pending migrations with the engine itself (`prisma migrate deploy`)
//   --schema FILE, --migrations DIR          compare other files than prisma/schema.prisma and prisma/migrations
//
// Comparing with the migrations replays them in a throw-away shadow database, created on the
// server of DATABASE_URL, else TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test.
// Hand-written SQL in migrations (CHECKs, triggers, functions) is invisible to the engine's diff.
/* global WebAssembly */
import crypto from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]) : fallback;
};
const schemaPath = option('--schema', join(root, 'prisma', 'schema.prisma'));
const migrationsDir = option('--migrations', join(root, 'prisma', 'migrations'));
const databaseUrl =
  process.env.DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';

/** The package is built for bundlers (`import * as wasm from './x.wasm'`); instantiate it by hand so plain Node works without --experimental-wasm-modules. */
async function loadSchemaEngine() {
  // The Rust panic hook reports its message here (the Prisma CLI installs the same global).
  globalThis.PRISMA_WASM_PANIC_REGISTRY = {
    set_message(message) {
      console.error(`schema engine panic: ${message}`);
    },
  };
  const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const glue = await import(pathToFileURL(gluePath).href);
  const bytes = readFileSync(gluePath.replace(/\.js$/, '.wasm'));
  const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': glue });
  glue.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return glue.SchemaEngine;
}

/**
 * The engine reads the catalog through the driver adapter, and `@prisma/adapter-pg` refuses
 * columns of PostgreSQL's internal one-byte type "char" (oid 18, e.g. pg_constraint.contype).
 * The pg client below reports them as text so the adapter accepts them, and remembers their
 * names; the adapter wrapper then gives those columns back the Character type the engine's
 * catalog reader expects.
 */
const charColumns = new Set();
function catalogFriendlyClient(pg) {
  const relabel = (result) => {
    for (const r of Array.isArray(result) ? result : [result]) {
      for (const field of r?.fields ?? []) {
        if (field.dataTypeID === 18) {
          field.dataTypeID = 25;
          charColumns.add(field.name);
        }
      }
    }
    return result;
  };
  return class CatalogFriendlyClient extends pg.Client {
    query(config, values, callback) {
      if (typeof values === 'function') [callback, values] = [values, undefined];
      if (typeof callback === 'function') {
        return super.query(config, values, (error, result) => callback(error, result && relabel(result)));
      }
      const pending = super.query(config, values);
      return typeof pending?.then === 'function' ? pending.then(relabel) : pending;
    }
  };
}

/** Discrete fields, not a connectionString: the adapter opens the shadow database as `{ ...config, database }`, and a connectionString would win over that `database` and replay the migrations into the main database. */
function connectionFields(url) {
  const { parse } = require('pg-connection-string');
  const { schema, ...fields } = parse(url);
  if (schema) fields.options = `-c search_path="${schema}"`;
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null));
}

function schemaOf(url) {
  return new URL(url).searchParams.get('schema') ?? undefined;
}

/**
 * `@prisma/adapter-pg` runs a script by splitting it on every ";", which breaks on a semicolon
 * in a comment or a PL/pgSQL body. PostgreSQL runs a multi-statement script itself in one
 * simple-protocol query, as the native schema engine does.
 */
function wholeScripts(factory, makeFactory) {
  const { ColumnTypeEnum } = require('@prisma/driver-adapter-utils');
  const withCharColumns = (queryable) => {
    const queryRaw = queryable.queryRaw.bind(queryable);
    queryable.queryRaw = async (query) => {
      const result = await queryRaw(query);
      result.columnTypes = result.columnTypes.map((type, i) =>
        type === ColumnTypeEnum.Text && charColumns.has(result.columnNames[i]) ? ColumnTypeEnum.Character : type,
      );
      return result;
    };
    return queryable;
  };
  const patch = (adapter) => {
    withCharColumns(adapter);
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (...args) => withCharColumns(await startTransaction(...args));
    adapter.executeScript = async (script) => {
      try {
        await adapter.underlyingDriver().query(script);
      } catch (error) {
        adapter.onError(error);
      }
    };
    return adapter;
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => patch(await factory.connect()),
    connectToShadowDb: async () => {
      // adapter-pg drops its shadow database before closing the pool that still uses it.
      const admin = await factory.connect();
      const database = `prisma_migrate_shadow_db_${crypto.randomUUID()}`;
      await admin.underlyingDriver().query(`CREATE DATABASE "${database}"`);
      const shadow = patch(await makeFactory(database).connect());
      const dispose = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        await dispose();
        await admin.underlyingDriver().query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
        await admin.dispose();
      };
      return shadow;
    },
  };
}

function migrationsList() {
  const dirs = existsSync(migrationsDir)
    ? readdirSync(migrationsDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  const lockPath = join(migrationsDir, 'migration_lock.toml');
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: dirs.map((name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: { tag: 'ok', value: readFileSync(join(migrationsDir, name, 'migration.sql'), 'utf8') },
      },
    })),
  };
}

/** The engine adds `CREATE SCHEMA IF NOT EXISTS "public"`; migrations must run in whatever schema the search_path names. */
function withoutPublicSchema(sql) {
  return sql.replace(/-- CreateSchema\nCREATE SCHEMA IF NOT EXISTS "public";\n\n?/g, '');
}

function timestamp(date = new Date()) {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

async function main() {
  const args = process.argv.slice(2);
  const createIndex = args.indexOf('--create');
  const createName = createIndex >= 0 ? args[createIndex + 1] : undefined;
  if (createIndex >= 0 && !/^[a-z0-9_]+$/.test(createName ?? '')) {
    console.error('--create needs a name of lower-case letters, digits and underscores');
    process.exit(1);
  }
  const fromEmpty = args.includes('--from-empty');

  const SchemaEngine = await loadSchemaEngine();
  const { PrismaPg } = require('@prisma/adapter-pg');
  const pg = require('pg');
  const { bindMigrationAwareSqlAdapterFactory } = require('@prisma/driver-adapter-utils');
  const Client = catalogFriendlyClient(pg);
  const schema = schemaOf(databaseUrl);
  const makeFactory = (database) =>
    new PrismaPg(
      { ...connectionFields(databaseUrl), ...(database ? { database } : {}), Client },
      database ? undefined : schema ? { schema } : undefined,
    );
  const content = readFileSync(schemaPath, 'utf8');
  const engine = await SchemaEngine.new(
    { datamodels: [['schema.prisma', content]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(wholeScripts(makeFactory(), makeFactory)),
  );
  if (args.includes('--deploy')) {
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList: migrationsList(),
      filters: { externalTables: [], externalEnums: [] },
    });
    console.log(JSON.stringify({ appliedMigrationNames }));
    return 0;
  }
  if (args.includes('--diagnose')) {
    const diagnosis = await engine.diagnoseMigrationHistory({
      migrationsList: migrationsList(),
      optInToShadowDatabase: false,
      filters: { externalTables: [], externalEnums: [] },
    });
    console.log(JSON.stringify(diagnosis, null, 2));
    const clean =
      diagnosis.hasMigrationsTable &&
      diagnosis.history === null &&
      diagnosis.editedMigrationNames.length === 0 &&
      diagnosis.failedMigrationNames.length === 0;
    return clean ? 0 : 2;
  }
  const result = await engine.diff({
    from: fromEmpty ? { tag: 'empty' } : { tag: 'migrations', ...migrationsList() },
    to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content }] },
    script: true,
    exitCode: null,
    filters: { externalTables: [], externalEnums: [] },
  });
  const sql = withoutPublicSchema(result.stdout ?? '');
  const empty = sql.trim() === '' || /^-- This is an empty migration\.?$/.test(sql.trim());

  if (createName) {
    if (empty) {
      console.error('schema.prisma and prisma/migrations agree; no migration written');
      return 0;
    }
    const dir = join(migrationsDir, `${timestamp()}_${createName}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'migration.sql'), sql);
    const lockPath = join(migrationsDir, 'migration_lock.toml');
    if (!existsSync(lockPath)) {
      writeFileSync(
        lockPath,
        '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
      );
    }
    console.error(`wrote ${dir}/migration.sql`);
    return 0;
  }
  process.stdout.write(empty ? '' : sql);
  return args.includes('--exit-code') && !empty ? 2 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : JSON.stringify(error));
    process.exit(1);
  },
);
