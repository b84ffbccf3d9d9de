/** Failures to inject into resource requests, switchable while the server runs (tests of retries, backoff, relists). */
export interface FaultOptions {
  /** Added to every resource request, in milliseconds. */
  latencyMs?: number;
  /** Fraction (0..1) of resource requests answered 500 InternalError. */
  errorRate?: number;
  /** Fraction (0..1) of resource requests answered 429 TooManyRequests with Retry-After. */
  throttleRate?: number;
  retryAfterSeconds?: number;
  /** Every watch stream is cut after this many milliseconds (without a final event, as a broken connection). */
  dropWatchesAfterMs?: number;
  /** Only these HTTP methods are affected (default: all). */
  methods?: string[];
  /** Seed of the pseudo-random choice of failing requests, for reproducible tests. */
  seed?: number;
}

export type FaultDecision = { kind: 'none' } | { kind: 'error' } | { kind: 'throttle'; retryAfterSeconds: number };

/** Decides, per request, whether to delay or fail it. Deterministic for a given seed and request order. */
export class FaultInjector {
  private options: FaultOptions = {};
  private state = 1;
  private readonly dropHandlers = new Set<(abrupt: boolean) => void>();
  injected = { errors: 0, throttles: 0, droppedWatches: 0 };

  constructor(options: FaultOptions = {}) {
    this.set(options);
  }

  set(options: FaultOptions): void {
    for (const rate of [options.errorRate, options.throttleRate]) {
      if (rate !== undefined && !(rate >= 0 && rate <= 1))
        throw new RangeError(`fault rates must be within 0..1, got ${rate}`);
    }
    this.options = { ...options };
    this.state = (options.seed ?? 1) >>> 0 || 1;
  }

  clear(): void {
    this.set({});
  }

  get current(): Readonly<FaultOptions> {
    return this.options;
  }

  latencyMs(): number {
    return this.options.latencyMs ?? 0;
  }

  decide(method: string): FaultDecision {
    const o = this.options;
    if (o.methods && !o.methods.includes(method)) return { kind: 'none' };
    if (o.errorRate && this.random() < o.errorRate) {
      this.injected.errors++;
      return { kind: 'error' };
    }
    if (o.throttleRate && this.random() < o.throttleRate) {
      this.injected.throttles++;
      return { kind: 'throttle', retryAfterSeconds: o.retryAfterSeconds ?? 1 };
    }
    return { kind: 'none' };
  }

  watchLifetimeMs(): number | undefined {
    return this.options.dropWatchesAfterMs;
  }

  /**
   * Cuts every open watch stream now: abruptly (the connection is reset, clients see an error) or, with
   * `abrupt: false`, by ending the response as an apiserver restart or timeout would.
   */
  dropWatches(abrupt = true): number {
    const handlers = [...this.dropHandlers];
    for (const drop of handlers) drop(abrupt);
    return handlers.length;
  }

  onDrop(drop: (abrupt: boolean) => void): () => void {
    const wrapped = (abrupt: boolean): void => {
      this.injected.droppedWatches++;
      drop(abrupt);
    };
    this.dropHandlers.add(wrapped);
    return () => this.dropHandlers.delete(wrapped);
  }

  /** mulberry32 */
  private random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
