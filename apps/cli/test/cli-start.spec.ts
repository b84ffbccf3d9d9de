/**
 * `switchyard start` as a real process (Nest is ESM; Node loads it, jest's module loader does
 * not): serves HTTP on PostgreSQL until SIGTERM, then exits 0.
 */
import type { ChildProcess } from 'node:child_process';
import { openTestDatabase, type TestDatabase } from '../../../test/support/database';
import { cli, cliProcess, spawnCli } from './cli-harness';

describe('start (real process, real PostgreSQL, real HTTP)', () => {
  let db: TestDatabase;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await db.dispose();
  });

  it('serves the API until SIGTERM, then exits 0', async () => {
    child = spawnCli(['start', '--port', '0', '--host', '127.0.0.1'], {
      env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent', SWITCHYARD_SEED_TOPOLOGY: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /API: +(http:\/\/\S+)\/api\/v1/.exec(stdout);
        if (match) resolve(match[1]);
      });
      void exited.then((code) => reject(new Error(`start exited ${code} before serving: ${stderr}`)));
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(stdout).toMatch(/Admin token \(shown only now; keep it\): sy_/);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('SIGTERM: stopping\n');
  });

  it('exits 2 naming a bad configuration variable', () => {
    const run = cliProcess(['start'], { env: { DATABASE_URL: db.url, PORT: 'eighty' } });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n').slice(0, 2)).toEqual([
      'error: invalid configuration',
      '  PORT: must be an integer between 0 and 65535',
    ]);
  });

  it('exits 2 for a bad --port', async () => {
    const run = await cli(['start', '--port', '70000'], { env: { DATABASE_URL: db.url } });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('error: --port "70000": expected a whole number from 0 to 65535');
  });
});
