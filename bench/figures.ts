/** What the benchmarks report besides their own figures: latency percentiles and the machine. */
import { cpus, totalmem } from 'node:os';
import type { Client } from 'pg';

/** The nearest-rank percentile `p` (0-100) of ascending `sorted` samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0; // an empty run has no latency to report
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** This machine and the PostgreSQL server behind `admin`, for comparing recorded runs. */
export async function describeMachine(admin: Client) {
  const [{ server_version: postgres }] = (await admin.query<{ server_version: string }>('SHOW server_version')).rows;
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres,
  };
}
