import type { GaugeDefinition } from './metric-definition';

/** The state of one control-plane replica: ready for traffic, holding the leader Lease. */

export const ready: GaugeDefinition<never> = {
  type: 'gauge',
  name: 'switchyard_ready',
  help: '1 when this replica passes every readiness check of /readyz (database migrated, informers synced), else 0.',
  labelNames: [],
};

export const leader: GaugeDefinition<never> = {
  type: 'gauge',
  name: 'switchyard_leader',
  help: '1 when this replica is the leader (schedules and reconciles), else 0',
  labelNames: [],
};
