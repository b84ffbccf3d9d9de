import { migrationStatus, type Database } from '@switchyard/inventory';
import { type ReadinessCheck } from './readiness';

/** Ready when the database answers and every migration of this build is applied. */
export function databaseReadiness(database: Database): ReadinessCheck {
  return {
    name: 'database',
    async check() {
      await database.ping();
      const status = await migrationStatus(database);
      if (status.failed.length > 0) return { ok: false, detail: `migration ${status.failed[0]} failed` };
      if (status.pending.length > 0) return { ok: false, detail: `${status.pending.length} migrations pending` };
      return { ok: true, detail: `${database.kind}, migrations applied` };
    },
  };
}
