import { setMaxListeners } from 'node:events';
import { requestText } from './http-request';
import { buildPowerReading, type ObservedSeries } from './observed-power';
import type { PowerInventory, PowerReading, PowerTelemetry } from './power-reading';
import { DCGM_LABEL, DCGM_POWER_LIMIT, DCGM_POWER_USAGE, IPMI_NODE_LABEL, IPMI_POWER } from './power-series';
import { describeFailure, POWER_READ_DEFAULTS, type PowerSourceTiming } from './power-source-timing';

export interface PrometheusPowerSourceOptions extends Partial<PowerSourceTiming> {
  /** Base URL of the Prometheus server (`SWITCHYARD_PROMETHEUS_URL`). */
  readonly url: string;
  readonly inventory: () => PowerInventory;
  /** The label that names the node on the IPMI series (default `node`; see docs/telemetry.md). */
  readonly nodeLabel?: string;
  /** Also read DCGM_FI_DEV_POWER_MGMT_LIMIT (one more query per GPU index; default false). */
  readonly readLimits?: boolean;
  /** Queries in flight at once (default 4). */
  readonly concurrency?: number;
  readonly now?: () => number;
}

type VectorSample = { metric: Record<string, string>; value: [number, string] };

interface QueryAnswer {
  status: 'success' | 'error';
  data?: { resultType: string; result: VectorSample[] };
  error?: string;
}

/**
 * Measured power from the Prometheus HTTP API. Per GPU index, instant queries for the live
 * value, the time of its sample (`timestamp`; a series Prometheus marked stale has none) and,
 * for series known in the lookback but no longer live, their last value (`last_over_time`).
 * A value without a live sample younger than the max age is stale, never 0 W. Splitting by GPU
 * index keeps each answer to one GPU per node (15,000 series on the campus), and aggregating
 * by UUID keeps one label per series, so no JSON parse holds the event loop for long.
 */
export class PrometheusPowerSource implements PowerTelemetry {
  readonly kind = 'prometheus';
  private readonly timing: PowerSourceTiming;
  private readonly now: () => number;

  constructor(private readonly options: PrometheusPowerSourceOptions) {
    this.timing = { ...POWER_READ_DEFAULTS, ...options };
    this.now = options.now ?? Date.now;
  }

  async read(): Promise<PowerReading> {
    const readAt = this.now();
    const signal = AbortSignal.timeout(this.timing.timeoutMs);
    // One deadline for every query of the read: each request in flight listens to it.
    setMaxListeners(64, signal);
    const observed = {
      gpus: new Map<string, ObservedSeries>(),
      gpuLimits: new Map<string, ObservedSeries>(),
      nodes: new Map<string, ObservedSeries>(),
      errors: [] as string[],
    };
    const errors = new Set<string>();
    const at = readAt / 1000;
    const lookback = `${Math.max(1, Math.ceil(this.timing.lookbackMs / 1000))}s`;
    const nodeLabel = this.options.nodeLabel ?? IPMI_NODE_LABEL;
    const attempt = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await work();
      } catch (error) {
        errors.add(describeFailure(this.options.url, error));
        return undefined;
      }
    };

    /**
     * One kind of series by `key` (UUID, node): the live value, the time of its sample, and the
     * last value of those known but not live (usually none). Aggregated by `key` in Prometheus,
     * so answers carry one label, and a GPU whose pod label changed is still one series.
     */
    const series = async (selector: string, key: string, into: Map<string, ObservedSeries>) => {
      const by = `max by (${key})`;
      const [live, times, stale] = await Promise.all([
        this.query(`${by} (${selector})`, at, signal),
        this.query(`${by} (timestamp(${selector}))`, at, signal),
        this.query(
          `${by} (last_over_time(${selector}[${lookback}])) unless on (${key}) ${by} (${selector})`,
          at,
          signal,
        ),
      ]);
      const sampledAt = new Map<string, number>();
      for (const s of times) sampledAt.set(s.metric[key], Math.round(Number(s.value[1]) * 1000));
      for (const s of live) {
        const watts = Number(s.value[1]);
        const time = sampledAt.get(s.metric[key]);
        if (s.metric[key] && !Number.isNaN(watts) && time !== undefined)
          into.set(s.metric[key], { watts, sampledAt: time, live: true });
      }
      for (const s of stale) {
        const watts = Number(s.value[1]);
        if (s.metric[key] && !Number.isNaN(watts) && !into.has(s.metric[key]))
          into.set(s.metric[key], { watts, sampledAt: null, live: false });
      }
    };

    const gpuIndices = (await attempt(() => this.labelValues(DCGM_LABEL.gpu, DCGM_POWER_USAGE, readAt, signal))) ?? [];
    const jobs: Array<() => Promise<unknown>> = [
      () => attempt(() => series(IPMI_POWER, nodeLabel, observed.nodes)),
      ...gpuIndices.map((gpu) => () => {
        const matcher = `{${DCGM_LABEL.gpu}=${JSON.stringify(gpu)}}`;
        return attempt(() => series(`${DCGM_POWER_USAGE}${matcher}`, DCGM_LABEL.uuid, observed.gpus));
      }),
      ...(this.options.readLimits
        ? gpuIndices.map(
            (gpu) => () =>
              attempt(async () => {
                for (const s of await this.query(
                  `max by (${DCGM_LABEL.uuid}) (${DCGM_POWER_LIMIT}{${DCGM_LABEL.gpu}=${JSON.stringify(gpu)}})`,
                  at,
                  signal,
                ))
                  if (s.metric[DCGM_LABEL.uuid])
                    observed.gpuLimits.set(s.metric[DCGM_LABEL.uuid], {
                      watts: Number(s.value[1]),
                      sampledAt: null,
                      live: true,
                    });
              }),
          )
        : []),
    ];
    await runLimited(jobs, this.options.concurrency ?? 4);
    observed.errors.push(...errors);
    return buildPowerReading('prometheus', this.options.inventory(), observed, readAt, this.timing);
  }

  private async query(expr: string, at: number, signal: AbortSignal): Promise<VectorSample[]> {
    const text = await requestText(`${this.base()}/api/v1/query`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr, time: at.toFixed(3) }).toString(),
      signal,
    });
    const answer = JSON.parse(text) as QueryAnswer;
    if (answer.status !== 'success' || answer.data?.resultType !== 'vector')
      throw new Error(`query ${expr} refused: ${answer.error ?? answer.data?.resultType ?? 'no data'}`);
    return answer.data.result;
  }

  /** Values of `label` on `metric` within the lookback: the GPU indices the fleet has. */
  private async labelValues(label: string, metric: string, readAt: number, signal: AbortSignal): Promise<string[]> {
    const params = new URLSearchParams({
      'match[]': metric,
      start: ((readAt - this.timing.lookbackMs) / 1000).toFixed(3),
      end: (readAt / 1000).toFixed(3),
    });
    const text = await requestText(`${this.base()}/api/v1/label/${label}/values?${params}`, { signal });
    const answer = JSON.parse(text) as { status: string; data?: string[]; error?: string };
    if (answer.status !== 'success' || !answer.data) throw new Error(`label values refused: ${answer.error}`);
    return answer.data;
  }

  private base(): string {
    return this.options.url.replace(/\/+$/, '');
  }
}

/** Runs `jobs` with at most `limit` in flight. */
async function runLimited(jobs: ReadonlyArray<() => Promise<unknown>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
