/**
 * `startControlPlane` end to end on the embedded database (PGlite), over real HTTP: first start
 * creates and prints the admin token and loads the seed topology; a restart keeps the data and
 * prints no token; bad configuration stops start-up naming the variable.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringifyTopology, scopeTreeSchema } from '@switchyard/contracts';
import { ConfigurationError, startControlPlane, startupFailure } from '../../apps/control-plane/src/main';
import { eventually } from '../support/eventually';
import { smallTopology } from './support/http-test-app';

let dataDir: string;
let seedFile: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'switchyard-start-'));
  seedFile = join(dataDir, 'topology.yaml');
  writeFileSync(seedFile, stringifyTopology(smallTopology()));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// The embedded Kubernetes API runs only in the first start; its own suites cover it in depth.
const env = (kubernetes = 'off') => ({
  SWITCHYARD_DATA_DIR: dataDir,
  SWITCHYARD_SEED_TOPOLOGY: seedFile,
  SWITCHYARD_KUBERNETES: kubernetes,
  LOG_LEVEL: 'silent',
  HOST: '127.0.0.1',
  PORT: '0',
});

describe('startControlPlane on the embedded database', () => {
  let firstToken: string;

  it('first start: migrates, loads the seed topology, starts the embedded Kubernetes API, prints URLs and a new admin token', async () => {
    const lines: string[] = [];
    const handle = await startControlPlane({ env: env('on'), print: (line) => lines.push(line) });
    try {
      expect(handle.port).toBeGreaterThan(0);
      expect(handle.adminToken).toMatch(/^sy_/);
      firstToken = handle.adminToken!;
      const printed = lines.join('\n');
      expect(printed).toContain(`${handle.url}/api/v1`);
      expect(printed).toContain(`${handle.url}/docs`);
      expect(printed).toContain(`${handle.url}/metrics`);
      expect(printed).toContain(firstToken);

      expect(printed).toMatch(/Kubernetes: embedded API at http/);
      // Ready once the informers have listed and a leader holds the Lease (moments after start).
      const ready = await eventually(
        async () => {
          const answer = await fetch(`${handle.url}/readyz`);
          return answer.status === 200 ? answer : undefined;
        },
        30_000,
        'ready',
      );
      const readiness = (await ready.json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
      expect(readiness.checks.database).toEqual({ ok: true, detail: 'pglite, migrations applied' });
      expect(readiness.checks.kubernetes).toEqual({
        ok: true,
        detail: expect.stringMatching(/informers synced; (leader|follower)/),
      });
      const scopes = await fetch(`${handle.url}/api/v1/scopes`, { headers: { Authorization: `Bearer ${firstToken}` } });
      expect(scopes.status).toBe(200);
      expect(scopeTreeSchema.parse(await scopes.json()).items[0]).toMatchObject({ name: 'demo-dc', gpusTotal: 128 });
      expect((await fetch(`${handle.url}/api/v1/scopes`)).status).toBe(401);
    } finally {
      await handle.close();
    }
  });

  it('restart: keeps the data and the token, prints no token', async () => {
    const lines: string[] = [];
    const handle = await startControlPlane({ env: env(), print: (line) => lines.push(line) });
    try {
      expect(handle.adminToken).toBeUndefined();
      expect(lines.join('\n')).not.toMatch(/sy_/);
      const res = await fetch(`${handle.url}/api/v1/nodes?limit=1`, {
        headers: { Authorization: `Bearer ${firstToken}` },
      });
      expect(res.status).toBe(200);
      const audit = await handle.inventory.audit.list({ action: 'topology.import' });
      expect(audit.items).toHaveLength(1); // seeded once, not at every start
    } finally {
      await handle.close();
    }
  });

  it('SWITCHYARD_ADMIN_TOKEN is accepted as an admin token and never printed', async () => {
    const secret = 'a-fixed-secret-for-automation-0123456789';
    const lines: string[] = [];
    const handle = await startControlPlane({
      env: { ...env(), SWITCHYARD_ADMIN_TOKEN: secret },
      print: (line) => lines.push(line),
    });
    try {
      expect(lines.join('\n')).not.toContain(secret);
      const res = await fetch(`${handle.url}/api/v1/tokens`, { headers: { Authorization: `Bearer ${secret}` } });
      expect(res.status).toBe(200);
    } finally {
      await handle.close();
    }
  });
});

describe('bad configuration', () => {
  it('stops start-up with a message naming the variable, without a stack trace', async () => {
    const failure = await startControlPlane({ env: { PORT: 'http', LOG_LEVEL: 'chatty' } }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConfigurationError);
    const message = startupFailure(failure);
    expect(message).toBe(
      [
        'switchyard: invalid configuration',
        '  PORT: must be an integer between 0 and 65535',
        '  LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
      ].join('\n'),
    );
  });

  it('an unreachable database is a one-line failure', async () => {
    const failure = await startControlPlane({
      env: {
        DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none',
        LOG_LEVEL: 'silent',
        SWITCHYARD_DATA_DIR: dataDir,
      },
    }).catch((error: unknown) => error);
    expect(startupFailure(failure)).toMatch(/^switchyard: cannot start: .*ECONNREFUSED/);
  });
});
