/**
 * What a kubelet's liveness probe and a Prometheus scrape see, measured from outside the
 * control plane: `GET /healthz` latency every 200 ms (a new connection each time, as a probe
 * makes), and `nodejs_eventloop_lag_max_seconds` from `/metrics` every 5 s (prom-client resets
 * its maximum at each scrape, so each value is the worst stall since the previous one).
 */
import { request } from 'node:http';
import { percentile } from '../figures';

export interface Sample {
  readonly at: number;
  readonly ms: number;
}

/** One GET; the latency to the last byte (ms) and the body, or null on a failure. */
function get(url: string, timeoutMs: number): Promise<{ ms: number; body: string } | null> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve(
          res.statusCode === 200
            ? { ms: Number(process.hrtime.bigint() - start) / 1e6, body: Buffer.concat(chunks).toString() }
            : null,
        ),
      );
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** Polls `base() + path` every `periodMs` (one request at a time) while started; `record` turns a body into a sample value. */
export class Poller {
  readonly samples: Sample[] = [];
  /** When a request failed (no answer, or not 200). */
  readonly failures: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly base: () => string | null,
    private readonly path: string,
    private readonly periodMs: number,
    private readonly record: (answer: { ms: number; body: string }) => number | null,
  ) {}

  start(): void {
    this.running = true;
    void this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    const started = Date.now();
    const base = this.base();
    if (base) {
      const answer = await get(`${base}${this.path}`, 30_000);
      const value = answer ? this.record(answer) : null;
      if (value === null) this.failures.push(started);
      else this.samples.push({ at: started, ms: value });
    }
    if (this.running)
      this.timer = setTimeout(() => void this.tick(), Math.max(0, this.periodMs - (Date.now() - started)));
  }
}

export function healthzProbe(base: () => string | null): Poller {
  return new Poller(base, '/healthz', 200, (answer) => answer.ms);
}

export function lagScrape(base: () => string | null): Poller {
  return new Poller(base, '/metrics', 5000, (answer) => {
    const m = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? (\S+)$/m.exec(answer.body);
    return m ? Number(m[1]) * 1000 : null;
  });
}

export interface LatencySummary {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Samples at or above the threshold given. */
  readonly atOrAbove: number;
}

/** p50, p99 and max of the values, and how many are at or above `thresholdMs`. */
export function summarise(values: readonly number[], thresholdMs: number): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    samples: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? 0),
    atOrAbove: sorted.filter((v) => v >= thresholdMs).length,
  };
}
