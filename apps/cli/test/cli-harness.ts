/** Runs the CLI in-process with captured streams, or as a real child process of its TypeScript entry. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { CliIo } from '../src/cli-io';
import { runCli } from '../src/run-cli';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function cli(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; tty?: boolean } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: {
      write: (text: string) => {
        stdout += text;
        return true;
      },
      isTTY: options.tty ?? false,
    },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.tty ?? false },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

const REPO = join(__dirname, '../../..');

function cliProcessArgs(argv: string[]): string[] {
  return ['-r', join(__dirname, 'swc-register.js'), join(REPO, 'apps/cli/src/main.ts'), ...argv];
}

/** A long-running CLI process (e.g. `start`); the caller must stop it. */
export function spawnCli(argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, cliProcessArgs(argv), {
    cwd: options.cwd ?? REPO,
    env: { PATH: process.env.PATH, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** `node apps/cli/src/main.ts ...` through an swc require hook: the real entry, real process streams and exit code. */
export function cliProcess(argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliRun {
  const result = spawnSync(
    process.execPath,
    ['-r', join(__dirname, 'swc-register.js'), join(REPO, 'apps/cli/src/main.ts'), ...argv],
    {
      cwd: options.cwd ?? REPO,
      env: { PATH: process.env.PATH, ...options.env },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  if (result.error) throw result.error;
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
