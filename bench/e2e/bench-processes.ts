/**
 * The processes the end-to-end benchmarks start and talk to: the embedded Kubernetes API
 * (test/e2e/processes/sim-process.ts) and the clients (load-generator-process.ts), each in a
 * process of its own and run from source through test/e2e/processes/run-ts.js, plus the CPU
 * time of every process involved and the throw-away PostgreSQL schema a run works in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { parse, stringify } from 'yaml';
import type { TopologyPreset } from '@switchyard/contracts';
import type { LoadGeneratorOptions } from './load-generator-process';

/** DATABASE_URL, else TEST_DATABASE_URL, else the local test server. */
export function benchDatabaseUrl(given?: string): string {
  return (
    given ?? process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
  );
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * Runs `main` when `entry` is the file the process was started with (`node dist/...`, or
 * test/e2e/processes/run-ts.js, which puts the entry in argv[1]); exits 1 with the stack if it throws.
 */
export function runAsEntry(entry: NodeJS.Module, main: () => Promise<void>): void {
  if (require.main !== entry && process.argv[1] !== entry.filename) return;
  void main().then(
    () => process.exit(0),
    (error) => {
      console.error(String((error as Error)?.stack ?? error));
      process.exit(1);
    },
  );
}

export function repoRoot(): string {
  let dir = __dirname;
  while (
    !existsSync(join(dir, 'package.json')) ||
    !readFileSync(join(dir, 'package.json'), 'utf8').includes('"name": "switchyard"')
  ) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the Switchyard repository root');
    dir = parent;
  }
  return dir;
}

/** `node run-ts.js <entry> <args>` from the repository's sources; stdout piped, stderr inherited unless piped. */
export function spawnTs(
  entry: string,
  args: readonly string[],
  options: { nodeFlags?: readonly string[]; env?: NodeJS.ProcessEnv; stdin?: boolean } = {},
): ChildProcess {
  const root = repoRoot();
  return spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), join(root, 'test/e2e/processes/run-ts.js'), join(root, entry), ...args],
    {
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'inherit'],
      ...(options.env ? { env: options.env } : {}),
    },
  );
}

/** The embedded API with the preset's simulated GPU nodes, in a child process; its kubeconfig (plain HTTP) once it listens. */
export async function startSimProcess(
  preset: TopologyPreset,
  profileDir?: string,
): Promise<{ child: ChildProcess; kubeconfig: string }> {
  const child = spawnTs('test/e2e/processes/sim-process.ts', [JSON.stringify({ preset })], {
    nodeFlags: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`embedded API exited with ${code}`)));
  });
  const doc = parse((JSON.parse(line) as { kubeconfig: string }).kubeconfig) as {
    clusters: { cluster: Record<string, unknown> }[];
  };
  for (const c of doc.clusters)
    if (String(c.cluster.server).startsWith('http:')) c.cluster['insecure-skip-tls-verify'] = true;
  return { child, kubeconfig: stringify(doc) };
}

/** Stops a child started here (SIGTERM, then waits for it). */
export async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/** CPU milliseconds used so far by this process, the given child processes and every PostgreSQL process (Linux /proc). */
export function cpuSnapshot(childPids: readonly (number | undefined)[]): {
  self: number;
  children: number[];
  postgres: Map<string, number>;
} {
  const usage = process.cpuUsage();
  const tick = 10; // USER_HZ = 100 on Linux
  const procMillis = (pid: number | string): number => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * tick; // utime, stime
    } catch {
      return 0;
    }
  };
  const postgres = new Map<string, number>();
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') postgres.set(pid, procMillis(pid));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return {
    self: (usage.user + usage.system) / 1000,
    children: childPids.map((pid) => (pid ? procMillis(pid) : 0)),
    postgres,
  };
}

export interface LoadResult {
  readonly first: number;
  readonly created: Record<string, number>;
  readonly bound: Record<string, number>;
}

export interface LoadProgress {
  readonly created: number;
  readonly bound: number;
}

export interface LoadGenerator {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  next(): Promise<LoadProgress | null>;
  /** Tell it to start creating pods. */
  go(): void;
  result(): Promise<LoadResult>;
}

/** The clients (bench/e2e/load-generator-process.ts) in their own process, driven over stdin/stdout. */
export function startLoadGenerator(options: LoadGeneratorOptions): LoadGenerator {
  const child = spawnTs('bench/e2e/load-generator-process.ts', [JSON.stringify(options)], { stdin: true });
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  createInterface({ input: child.stdout! })
    .on('line', (line) => {
      lines.push(line);
      wake?.();
    })
    .on('close', () => {
      ended = true;
      wake?.();
    });
  const nextLine = async (): Promise<string | null> => {
    while (lines.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
    return lines.shift() ?? null;
  };
  const next = async (): Promise<LoadProgress | null> => {
    const line = await nextLine();
    return line === null ? null : (JSON.parse(line) as LoadProgress);
  };
  return {
    child,
    ready: next().then(() => undefined),
    next,
    go: () => child.stdin!.write('go\n'),
    async result() {
      child.stdin!.write('stop\n');
      for (;;) {
        const line = await nextLine();
        if (line === null) throw new Error('the load generator ended without a result');
        const parsed = JSON.parse(line) as { result?: LoadResult };
        if (parsed.result) return parsed.result;
      }
    },
  };
}
