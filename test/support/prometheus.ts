/**
 * A real Prometheus process (Debian's package) for a test: given scrape jobs, it runs with its
 * own config, a temporary TSDB directory and a free port on 127.0.0.1, never as the system
 * service, and is stopped by its pid. Find the binary with `prometheusBinary` (test/deploy/support),
 * which fails in CI (`CI=true`) when it is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** One `scrape_configs` entry, as Prometheus's configuration file spells it. */
export type ScrapeJob = Record<string, unknown> & { job_name: string };

export class PrometheusProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    /** `http://127.0.0.1:<port>`: the HTTP API. */
    readonly url: string,
    private readonly log: () => string,
  ) {}

  /** Starts Prometheus scraping `jobs` every `scrapeIntervalSeconds` (default 1) and waits until it is ready. */
  static async start(
    binary: string,
    jobs: readonly ScrapeJob[],
    options: { scrapeIntervalSeconds?: number; files?: Record<string, string>; ruleFiles?: readonly string[] } = {},
  ): Promise<PrometheusProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-prometheus-'));
    for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), content);
    const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
    const config = {
      global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
      ...(options.ruleFiles ? { rule_files: options.ruleFiles } : {}),
      scrape_configs: jobs,
    };
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    const child = spawn(
      binary,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    const server = new PrometheusProcess(child, dir, `http://127.0.0.1:${port}`, () => log);
    try {
      await server.until(
        async () => (await fetch(`${server.url}/-/ready`).catch(() => undefined))?.ok === true,
        'ready',
      );
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** Where a file given in `files` was written. */
  path(name: string): string {
    return join(this.dir, name);
  }

  /** Waits until every target of the scrape pools has been scraped successfully at least once. */
  async targetsUp(timeoutMs = 30_000): Promise<void> {
    let last = '';
    await this.until(
      async () => {
        const answer = (await (await fetch(`${this.url}/api/v1/targets?state=active`)).json()) as {
          data: { activeTargets: Array<{ health: string; lastError: string; scrapeUrl: string }> };
        };
        last = JSON.stringify(answer.data.activeTargets.map((t) => [t.scrapeUrl, t.health, t.lastError]));
        return answer.data.activeTargets.length > 0 && answer.data.activeTargets.every((t) => t.health === 'up');
      },
      () => `targets up (last: ${last})`,
      timeoutMs,
    );
  }

  /** Stops the process by its pid (SIGTERM, SIGKILL after 10 s) and removes its directory. */
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

  /** Waits for `condition` (a throw counts as not yet), failing early if Prometheus exits. */
  async until(condition: () => Promise<boolean>, what: string | (() => string), timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`prometheus exited (${this.child.exitCode}): ${this.log()}`);
      if (await condition().catch(() => false)) return;
      if (Date.now() > deadline)
        throw new Error(
          `gave up waiting for prometheus: ${typeof what === 'string' ? what : what()}; log: ${this.log()}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 200));
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
