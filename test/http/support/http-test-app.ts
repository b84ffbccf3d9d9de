/**
 * The real control-plane app over a real database, for HTTP tests through supertest:
 *
 *   const t = await openHttpTestApp();            // PostgreSQL schema of its own, migrated
 *   await t.http.get('/api/v1/tenants').set(t.auth('viewer')).expect(200);
 *   await t.close();
 *
 * Tokens for each role (and a revoked one) are created through the inventory, as an admin would.
 */
import { type INestApplication } from '@nestjs/common';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { generateTopology, type TopologyDocument } from '@switchyard/contracts';
import { Inventory } from '@switchyard/inventory';
import { ControlPlaneMetrics } from '@switchyard/telemetry';
import { createApp } from '../../../apps/control-plane/src/app';
import { type ControlPlaneConfig } from '../../../apps/control-plane/src/config/control-plane-config';
import { createRootLogger, type Logger } from '../../../apps/control-plane/src/logging/logger';
import { openTestDatabase, openTestPglite, type TestDatabase } from '../../support/database';

export type TokenName = 'viewer' | 'operator' | 'admin' | 'revoked';

export interface HttpTestApp {
  readonly app: INestApplication;
  readonly http: TestAgent;
  readonly inventory: Inventory;
  readonly db: TestDatabase;
  readonly tokens: Record<TokenName, { id: string; secret: string }>;
  /** `{ Authorization: 'Bearer ...' }` for one of the test tokens. */
  auth(name: TokenName): Record<string, string>;
  close(): Promise<void>;
}

export const testConfig: ControlPlaneConfig = {
  port: 0,
  host: '127.0.0.1',
  databaseUrl: undefined,
  dataDir: '/nonexistent',
  adminToken: undefined,
  logLevel: 'silent',
  kubeconfig: undefined,
  seedTopologyFile: undefined,
};

/** A small data center: 1 hall, 2 rows of 2 racks, 4 nodes per rack (16 nodes, 128 GPUs). */
export function smallTopology(): TopologyDocument {
  return generateTopology('demo', { halls: 1, rowsPerHall: 2, racksPerRow: 2 });
}

export async function openHttpTestApp(
  options: { backend?: 'postgres' | 'pglite'; topology?: TopologyDocument; log?: Logger } = {},
): Promise<HttpTestApp> {
  const db = options.backend === 'pglite' ? await openTestPglite() : await openTestDatabase();
  try {
    const inventory = new Inventory(db.database);
    const tokens = {} as Record<TokenName, { id: string; secret: string }>;
    for (const name of ['viewer', 'operator', 'admin', 'revoked'] as const) {
      const role = name === 'revoked' ? 'admin' : name;
      const created = await inventory.tokens.create({ name: `test-${name}`, role }, { actor: 'test:setup' });
      tokens[name] = { id: created.record.id, secret: created.token };
    }
    await inventory.tokens.revoke(tokens.revoked.id, { actor: 'test:setup' });
    if (options.topology) await inventory.topology.import(options.topology, { actor: 'test:setup' });
    const app = await createApp({
      config: testConfig,
      log: options.log ?? createRootLogger('silent'),
      metrics: new ControlPlaneMetrics({ processMetrics: false }),
      inventory,
    });
    return {
      app,
      http: request(app.getHttpServer()),
      inventory,
      db,
      tokens,
      auth: (name) => ({ Authorization: `Bearer ${tokens[name].secret}` }),
      async close() {
        await app.close();
        await db.dispose();
      },
    };
  } catch (error) {
    await db.dispose();
    throw error;
  }
}
