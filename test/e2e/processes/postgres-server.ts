/**
 * A throw-away PostgreSQL server of its own (initdb in a temporary directory, a free port), so
 * a test can stop and restart it without touching the shared server other tests use. initdb
 * refuses to run as root, so under root every command runs as the `postgres` OS user.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const POSTGRES_BIN = process.env.SWITCHYARD_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Why a private server cannot be started here (undefined when it can). */
export function privatePostgresUnavailable(): string | undefined {
  for (const tool of ['initdb', 'pg_ctl', 'postgres'])
    if (!existsSync(join(POSTGRES_BIN, tool))) return `${join(POSTGRES_BIN, tool)} is missing`;
  if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser'))
    return 'running as root without runuser (initdb refuses root)';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PostgresServer {
  readonly port: number;
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  /** `pg_ctl stop -m immediate`: as a crash; every connection is cut, nothing is flushed politely. */
  crash(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its directory. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PostgresServer> {
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  const as = async (tool: string, args: string[]) => {
    const bin = join(POSTGRES_BIN, tool);
    return asRoot ? run('runuser', ['-u', 'postgres', '--', bin, ...args]) : run(bin, args);
  };
  await as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses='127.0.0.1'",
    '-c fsync=off',
    '-c max_connections=60',
  ];
  const start = async () => {
    await as('pg_ctl', ['-D', data, '-l', log, '-o', options.join(' '), '-w', '-t', '60', 'start']);
  };
  await start();
  let destroyed = false;
  return {
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async crash() {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    start,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
