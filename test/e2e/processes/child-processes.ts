/** Starting and stopping the child processes of the end-to-end tests (see run-ts.js). */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const RUN_TS = join(__dirname, 'run-ts.js');

export interface Child {
  readonly process: ChildProcess;
  /** Lines printed on stdout so far. */
  readonly lines: string[];
  /** Resolves with the first stdout line matching. */
  waitFor(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startChild(
  entry: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  stderr: (line: string) => void = () => undefined,
): Child {
  const child = spawn(process.execPath, [RUN_TS, join(__dirname, entry), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { match: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) {
      if (!w.match(line)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  createInterface({ input: child.stderr! }).on('line', stderr);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    lines,
    waitFor(match, timeoutMs = 30_000) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`child ${entry} did not print the expected line within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        child.once('exit', (code) => reject(new Error(`child ${entry} exited with ${code}`)));
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
