/**
 * What one read of measured power returns, whichever source it came from. Stale or lost
 * telemetry is never 0 W: such a series has `watts: null` and says why in `state`, and the
 * counts tell the power loop how much of the fleet it must predict instead of measure.
 */

/** `fresh`: a live sample no older than the max age. `stale`: known, but no live sample that recent. `missing`: no sample at all. */
export type SeriesState = 'fresh' | 'stale' | 'missing';

export interface SeriesReading {
  readonly state: SeriesState;
  /** Measured watts when fresh; null otherwise. */
  readonly watts: number | null;
  /** Time (ms since the epoch) of the sample behind the value; null when missing or when the source cannot tell. */
  readonly sampledAt: number | null;
  /** The last value seen, also when stale: for display and diagnosis, never for budgets. */
  readonly lastWatts: number | null;
}

export interface GpuPowerReading extends SeriesReading {
  readonly uuid: string;
  readonly node: string;
  /** The enforced power limit the GPU reports (DCGM_FI_DEV_POWER_MGMT_LIMIT), when read and fresh. */
  readonly limitWatts: number | null;
}

export interface NodePowerReading extends SeriesReading {
  readonly node: string;
}

export interface SeriesCounts {
  readonly fresh: number;
  readonly stale: number;
  readonly missing: number;
}

export type PowerSourceKind = 'prometheus' | 'exporters';

export interface PowerReading {
  readonly source: PowerSourceKind;
  /** When the read was made (ms since the epoch); ages are measured from here. */
  readonly readAt: number;
  readonly maxAgeMs: number;
  /** Every GPU of the inventory, by UUID (iterated in inventory order). */
  readonly gpus: ReadonlyMap<string, GpuPowerReading>;
  /** Every node of the inventory, by name (iterated in inventory order). */
  readonly nodes: ReadonlyMap<string, NodePowerReading>;
  readonly counts: { readonly gpus: SeriesCounts; readonly nodes: SeriesCounts };
  /** Sums over fresh series only. */
  readonly freshWatts: { readonly gpus: number; readonly nodes: number };
  /** Series read for GPUs or nodes the inventory does not have (ignored). */
  readonly unknownSeries: number;
  /** Why part or all of the reading is missing (source down, timeout, a refused query, a malformed scrape). */
  readonly errors: readonly string[];
}

/**
 * The GPUs and nodes a reading is expected to cover. Give the same object for as long as it
 * does not change: the key index of readings is built once per inventory object.
 */
export interface PowerInventory {
  readonly nodes: ReadonlyArray<{ readonly name: string; readonly gpuUuids: readonly string[] }>;
}

/** The telemetry port the power loop reads measured power through. */
export interface PowerTelemetry {
  readonly kind: PowerSourceKind;
  read(): Promise<PowerReading>;
}
