/**
 * The whole control plane as `npm start` runs it (real PostgreSQL schema of its own, the embedded
 * Kubernetes API, so the scheduler's metrics are registered), on a free port, with a known admin
 * token, for tests of what /metrics serves and what dashboards and alerts ask of it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringifyTopology } from '@switchyard/contracts';
import { startControlPlane, type ControlPlaneHandle } from '../../../apps/control-plane/src/main';
import { smallTopology } from '../../http/support/http-test-app';
import { openTestDatabase, type TestDatabase } from '../../support/database';

export interface RunningControlPlane {
  readonly handle: ControlPlaneHandle;
  readonly db: TestDatabase;
  /** `{ Authorization: 'Bearer ...' }` of the admin token. */
  readonly adminAuth: Record<string, string>;
  close(): Promise<void>;
}

const ADMIN_TOKEN = 'deploy-test-admin-token-0123456789';

/** Started with smallTopology() (1 hall, 2 rows of 2 racks, 16 nodes) as its seed. */
export async function startTestControlPlane(): Promise<RunningControlPlane> {
  const db = await openTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-deploy-'));
  const seed = join(dir, 'topology.yaml');
  writeFileSync(seed, stringifyTopology(smallTopology()));
  const cleanUp = async () => {
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const handle = await startControlPlane({
      env: {
        DATABASE_URL: db.url,
        SWITCHYARD_DATA_DIR: dir,
        SWITCHYARD_SEED_TOPOLOGY: seed,
        SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
        LOG_LEVEL: 'silent',
        HOST: '127.0.0.1',
        PORT: '0',
      },
      print: () => undefined,
    });
    return {
      handle,
      db,
      adminAuth: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      async close() {
        await handle.close();
        await cleanUp();
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
