export interface ThrottledReadOptions {
  /** A new read starts only when the last one (good or failed) started at least this long ago. */
  readonly minIntervalMs: number;
  /** Milliseconds, monotonic enough for ages; default `Date.now`. */
  readonly now?: () => number;
  /** Told about a failed read; the last good value stays in service. */
  readonly onError?: (error: unknown) => void;
  /**
   * Answer with the last value at once and read in the background when it is due, so that an
   * asker never waits for a read (only the very first one does). Values are then up to one
   * interval plus one asking period old.
   */
  readonly serveStale?: boolean;
}

export interface ThrottledValue<T> {
  readonly value: T;
  /** Time since the read behind `value` finished. */
  readonly ageSeconds: number;
  /** How long that read took. */
  readonly durationSeconds: number;
}

/**
 * A value that is expensive to read (the scope tree: ~100 ms at campus scale), read at most once
 * per interval whoever asks: Prometheus servers scraping the same replica, and the several
 * gauges of one scrape, share one read; concurrent askers wait for the read in flight.
 */
export class ThrottledRead<T> {
  private last: { value: T; finishedAt: number; durationSeconds: number } | undefined;
  private lastStartedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly options: ThrottledReadOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The latest value (read now if the last read started an interval ago or more; see serveStale),
   * or undefined if no read ever succeeded.
   */
  async get(): Promise<ThrottledValue<T> | undefined> {
    if (!this.inFlight && this.now() - this.lastStartedAt >= this.options.minIntervalMs) {
      this.inFlight = this.refresh().finally(() => {
        this.inFlight = undefined;
      });
    }
    if (this.inFlight && !(this.options.serveStale && this.last)) await this.inFlight;
    const last = this.last;
    if (!last) return undefined;
    return {
      value: last.value,
      ageSeconds: Math.max(0, this.now() - last.finishedAt) / 1000,
      durationSeconds: last.durationSeconds,
    };
  }

  private async refresh(): Promise<void> {
    const started = this.now();
    this.lastStartedAt = started;
    try {
      const value = await this.read();
      const finishedAt = this.now();
      this.last = { value, finishedAt, durationSeconds: (finishedAt - started) / 1000 };
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
