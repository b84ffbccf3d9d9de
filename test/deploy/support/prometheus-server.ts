/**
 * A real Prometheus server (Debian's package) for the dashboard and alert tests, over the one
 * process helper (test/support/prometheus.ts): its own config, a temporary TSDB directory and a
 * free port on 127.0.0.1; never the system service. Stopped by its pid.
 */
import { PrometheusProcess } from '../../support/prometheus';

export interface PrometheusStartOptions {
  readonly binary: string;
  /** `host:port` of the control plane to scrape (job `switchyard`, label `pod`, as the ServiceMonitor gives). */
  readonly target: string;
  /** A plain rules file to load and evaluate. */
  readonly rulesFile?: string;
  readonly scrapeIntervalSeconds?: number;
}

/** The HTTP API's answer to a query: `success` with data, or `error` with a message. */
export interface QueryAnswer {
  readonly status: 'success' | 'error';
  readonly data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  readonly errorType?: string;
  readonly error?: string;
}

export interface EvaluatedRule {
  readonly name: string;
  /** `ok`, or `err` with `lastError` (`unknown` before the first evaluation). */
  readonly health: 'ok' | 'err' | 'unknown';
  readonly lastError?: string;
}

/** Prometheus scraping the control plane (job `switchyard`, as the ServiceMonitor gives), with queries over its HTTP API. */
export class PrometheusServer {
  private constructor(private readonly process: PrometheusProcess) {}

  static async start(options: PrometheusStartOptions): Promise<PrometheusServer> {
    const job = {
      job_name: 'switchyard',
      static_configs: [{ targets: [options.target], labels: { pod: 'switchyard-0' } }],
    };
    return new PrometheusServer(
      await PrometheusProcess.start(options.binary, [job], {
        ...(options.scrapeIntervalSeconds !== undefined
          ? { scrapeIntervalSeconds: options.scrapeIntervalSeconds }
          : {}),
        ...(options.rulesFile ? { ruleFiles: [options.rulesFile] } : {}),
      }),
    );
  }

  get url(): string {
    return this.process.url;
  }

  /** An instant query over the HTTP API (`/api/v1/query`). */
  async query(expr: string): Promise<QueryAnswer> {
    const res = await fetch(`${this.url}/api/v1/query`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }),
    });
    return (await res.json()) as QueryAnswer;
  }

  /** The instant result of `expr` once `accept` holds for it (polled, up to `timeoutMs`). */
  async queryUntil(
    expr: string,
    accept: (result: NonNullable<QueryAnswer['data']>['result']) => boolean,
    timeoutMs = 60_000,
  ): Promise<NonNullable<QueryAnswer['data']>['result']> {
    let last: QueryAnswer | undefined;
    await this.process.until(
      async () => {
        last = await this.query(expr);
        return last.status === 'success' && accept(last.data!.result);
      },
      () => `${expr} (last answer: ${JSON.stringify(last)})`,
      timeoutMs,
    );
    return last!.data!.result;
  }

  /** Every loaded rule with its health, once each has been evaluated at least once. */
  async evaluatedRules(): Promise<EvaluatedRule[]> {
    let rules: EvaluatedRule[] = [];
    await this.process.until(async () => {
      const answer = (await (await fetch(`${this.url}/api/v1/rules`)).json()) as {
        data: { groups: Array<{ rules: EvaluatedRule[] }> };
      };
      rules = answer.data.groups.flatMap((g) => g.rules);
      return rules.every((r) => r.health !== 'unknown');
    }, 'every rule to be evaluated');
    return rules;
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}
