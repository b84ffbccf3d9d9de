/** How long a read may take and how old a sample may be, shared by both power telemetry sources. */
export interface PowerSourceTiming {
  /** A sample older than this is stale, not a measurement (default 30 s). */
  readonly maxAgeMs: number;
  /** One read, all its requests together, is abandoned after this (default 5 s). */
  readonly timeoutMs: number;
  /** How far back a vanished series is still known (stale with its last value) before it is missing (default 5 min, Prometheus's lookback). */
  readonly lookbackMs: number;
}

export const POWER_READ_DEFAULTS: PowerSourceTiming = { maxAgeMs: 30_000, timeoutMs: 5_000, lookbackMs: 300_000 };

/** One line for a reading's `errors`: where, and what happened (a timeout says so). */
export function describeFailure(where: string, error: unknown): string {
  const e = error as { name?: string; message?: string; code?: string };
  if (e?.name === 'TimeoutError') return `${where}: timed out`;
  return `${where}: ${e?.code ? `${e.code} ` : ''}${e?.message ?? String(error)}`;
}
