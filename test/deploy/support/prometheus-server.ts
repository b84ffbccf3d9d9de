/**
 * A real Prometheus server (Debian's package) for a test: its own config, a temporary TSDB
 * directory and a free port on 127.0.0.1; never the system service. Stopped by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

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

export class PrometheusServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
    private readonly log: () => string,
  ) {}

  static async start(options: PrometheusStartOptions): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-prometheus-'));
    const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
    const config = {
      global: { scrape_interval: interval, evaluation_interval: interval },
      ...(options.rulesFile ? { rule_files: [options.rulesFile] } : {}),
      scrape_configs: [
        {
          job_name: 'switchyard',
          static_configs: [{ targets: [options.target], labels: { pod: 'switchyard-0' } }],
        },
      ],
    };
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    const child = spawn(
      options.binary,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`, () => log);
    try {
      await server.waitUntil(
        async () => (await fetch(`${server.url}/-/ready`).catch(() => undefined))?.ok === true,
        'Prometheus to be ready',
      );
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
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

  /** The instant result of `expr` once `accept` holds for it (every 250 ms, up to `timeoutMs`). */
  async queryUntil(
    expr: string,
    accept: (result: NonNullable<QueryAnswer['data']>['result']) => boolean,
    timeoutMs = 60_000,
  ): Promise<NonNullable<QueryAnswer['data']>['result']> {
    let last: QueryAnswer | undefined;
    await this.waitUntil(
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
    await this.waitUntil(async () => {
      const answer = (await (await fetch(`${this.url}/api/v1/rules`)).json()) as {
        data: { groups: Array<{ rules: EvaluatedRule[] }> };
      };
      rules = answer.data.groups.flatMap((g) => g.rules);
      return rules.every((r) => r.health !== 'unknown');
    }, 'every rule to be evaluated');
    return rules;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      process.kill(this.child.pid!, 'SIGTERM');
      const timer = setTimeout(() => this.child.pid && process.kill(this.child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitUntil(
    condition: () => Promise<boolean>,
    what: string | (() => string),
    timeoutMs = 60_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`prometheus exited (${this.child.exitCode}): ${this.log()}`);
      if (await condition()) return;
      if (Date.now() > deadline)
        throw new Error(
          `gave up waiting for ${typeof what === 'string' ? what : what()}; prometheus log: ${this.log()}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
