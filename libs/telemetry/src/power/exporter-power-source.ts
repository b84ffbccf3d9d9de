import { ExpositionParser, LabelSetCache, type ExpositionSample } from './exposition-parser';
import { streamRequest } from './http-request';
import { buildPowerReading, type ObservedSeries } from './observed-power';
import type { PowerInventory, PowerReading, PowerTelemetry } from './power-reading';
import {
  DCGM_LABEL,
  DCGM_POWER_LIMIT,
  DCGM_POWER_USAGE,
  EXPORTER_PATH,
  IPMI_NODE_LABEL,
  IPMI_POWER,
} from './power-series';
import { describeFailure, POWER_READ_DEFAULTS, type PowerSourceTiming } from './power-source-timing';

export interface ExporterPowerSourceOptions extends Partial<PowerSourceTiming> {
  /** Where the exporters are served: the embedded Kubernetes API's URL (the kubeconfig's server). */
  readonly baseUrl: string;
  /** PEM of the CA behind `baseUrl` when it is HTTPS with its own certificate. */
  readonly ca?: string;
  readonly inventory: () => PowerInventory;
  readonly now?: () => number;
}

/** Series applied between two turns of the event loop. */
const SERIES_PER_TURN = 20_000;

/** A series as last seen; updated in place, so a campus read allocates nothing per known series. */
class Remembered implements ObservedSeries {
  constructor(
    public watts: number,
    public sampledAt: number,
    public seenIn: number,
    private readonly reads: { current: number },
  ) {}
  /** Live when the latest read saw it. */
  get live(): boolean {
    return this.seenIn === this.reads.current;
  }
}

/** What one scrape gave, kept apart until the scrape has worked as a whole. */
class ScrapeSamples {
  readonly keys: string[] = [];
  readonly values: number[] = [];
  readonly times: number[] = [];
  add(key: string, value: number, time: number): void {
    this.keys.push(key);
    this.values.push(value);
    this.times.push(time);
  }
}

/** Series of one kind (GPU power, GPU limits, node power) across reads. */
class RememberedSeries {
  readonly series = new Map<string, Remembered>();

  constructor(private readonly reads: { current: number }) {}

  /** Takes a successful scrape's samples as this read's live ones; the rest stay as they were (stale). */
  async update(seen: ScrapeSamples | undefined, readAt: number, lookbackMs: number): Promise<void> {
    if (!seen) return;
    const read = this.reads.current;
    for (let i = 0; i < seen.keys.length; i++) {
      if (i > 0 && i % SERIES_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      const known = this.series.get(seen.keys[i]);
      if (known) {
        known.watts = seen.values[i];
        known.sampledAt = seen.times[i];
        known.seenIn = read;
      } else this.series.set(seen.keys[i], new Remembered(seen.values[i], seen.times[i], read, this.reads));
    }
    // Series that went away (pods moved, nodes removed) are forgotten once gone for the lookback; swept
    // only when they have piled up, as the reading already counts them missing by then.
    if (this.series.size > 1.5 * seen.keys.length + 1000)
      for (const [key, r] of this.series) if (!r.live && readAt - r.sampledAt > lookbackMs) this.series.delete(key);
  }
}

/**
 * Measured power read straight from the simulated DCGM and IPMI exporters (the embedded
 * default, with no Prometheus). Like Prometheus, it remembers series: one that a scrape no
 * longer has, or that a failed scrape could not give, is stale (with its last value) until
 * it has been gone for the lookback, then missing.
 */
export class ExporterPowerSource implements PowerTelemetry {
  readonly kind = 'exporters';
  private readonly timing: PowerSourceTiming;
  private readonly now: () => number;
  private readonly reads = { current: 0 };
  private readonly gpus = new RememberedSeries(this.reads);
  private readonly limits = new RememberedSeries(this.reads);
  private readonly nodes = new RememberedSeries(this.reads);
  /** Label sets of earlier scrapes, by path: the same series come back every time. */
  private readonly labelSets = new Map<string, LabelSetCache>();

  constructor(private readonly options: ExporterPowerSourceOptions) {
    this.timing = { ...POWER_READ_DEFAULTS, ...options };
    this.now = options.now ?? Date.now;
  }

  async read(): Promise<PowerReading> {
    const readAt = this.now();
    const signal = AbortSignal.timeout(this.timing.timeoutMs);
    const gpus = new ScrapeSamples();
    const limits = new ScrapeSamples();
    const nodes = new ScrapeSamples();
    const [dcgm, ipmi] = await Promise.all([
      this.scrape(EXPORTER_PATH.dcgm, signal, new Set([DCGM_POWER_USAGE, DCGM_POWER_LIMIT]), (s) => {
        const uuid = s.labels[DCGM_LABEL.uuid];
        if (!uuid || Number.isNaN(s.value)) return;
        (s.name === DCGM_POWER_LIMIT ? limits : gpus).add(uuid, s.value, s.timestampMs ?? readAt);
      }),
      this.scrape(EXPORTER_PATH.ipmi, signal, new Set([IPMI_POWER]), (s) => {
        const node = s.labels[IPMI_NODE_LABEL];
        if (node && !Number.isNaN(s.value)) nodes.add(node, s.value, s.timestampMs ?? readAt);
      }),
    ]);
    // A failed scrape counts as a whole, as in Prometheus: what it parsed before failing is not used.
    const { lookbackMs } = this.timing;
    this.reads.current++;
    await this.gpus.update(dcgm ? undefined : gpus, readAt, lookbackMs);
    await this.limits.update(dcgm ? undefined : limits, readAt, lookbackMs);
    await this.nodes.update(ipmi ? undefined : nodes, readAt, lookbackMs);
    const observed = {
      gpus: this.gpus.series,
      nodes: this.nodes.series,
      gpuLimits: this.limits.series,
      errors: [dcgm, ipmi].filter((e): e is string => e !== undefined),
    };
    return buildPowerReading('exporters', this.options.inventory(), observed, readAt, this.timing);
  }

  /** Undefined when the scrape worked, else what went wrong. */
  private async scrape(
    path: string,
    signal: AbortSignal,
    wanted: ReadonlySet<string>,
    onSample: (sample: ExpositionSample) => void,
  ): Promise<string | undefined> {
    const url = new URL(path, this.options.baseUrl).toString();
    let labelSets = this.labelSets.get(path);
    if (!labelSets) this.labelSets.set(path, (labelSets = new LabelSetCache()));
    let samples = 0;
    try {
      const parser = new ExpositionParser(
        (sample) => {
          samples++;
          onSample(sample);
        },
        wanted,
        labelSets,
      );
      await streamRequest(url, { signal, ca: this.options.ca, headers: { Accept: 'text/plain' } }, (chunk) =>
        parser.push(chunk),
      );
      parser.end();
      // Series that went away (pods moved) leave label sets behind; start over when they dominate.
      if (labelSets.size > 2 * samples + 1000) labelSets.clear();
      return undefined;
    } catch (error) {
      return describeFailure(url, error);
    }
  }
}
