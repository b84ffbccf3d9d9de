/**
 * Power limits through `nvidia-smi` (which calls NVML's nvmlDeviceSetPowerManagementLimit).
 * A child process per call, with a timeout, because a wedged driver makes nvidia-smi hang.
 */
import { execFile } from 'node:child_process';
import type { GpuPowerReading } from './gpu-power-reading';
import type { PowerLimitActuator } from './power-limit-actuator';

export const POWER_QUERY_ARGS = [
  '--query-gpu=index,power.limit,power.default_limit,power.min_limit,power.max_limit',
  '--format=csv,noheader,nounits',
] as const;

export interface NvidiaSmiOptions {
  /** The binary (default `nvidia-smi`, looked up on PATH). */
  readonly command?: string;
  readonly timeoutMs?: number;
  /** Its environment, PATH included (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
}

export class NvidiaSmiError extends Error {
  override readonly name = 'NvidiaSmiError';
}

export class NvidiaSmiActuator implements PowerLimitActuator {
  private readonly command: string;
  private readonly timeoutMs: number;
  private readonly env: NodeJS.ProcessEnv | undefined;

  constructor(options: NvidiaSmiOptions = {}) {
    this.command = options.command ?? 'nvidia-smi';
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.env = options.env;
  }

  async readGpus(): Promise<GpuPowerReading[]> {
    return parsePowerQuery(await this.run([...POWER_QUERY_ARGS]));
  }

  async setLimit(index: number, watts: number): Promise<void> {
    await this.run(['-i', String(index), '-pl', String(watts)]);
  }

  private run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.command,
        args,
        { env: this.env, timeout: this.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
          const what = `${this.command} ${args.join(' ')}`;
          if (e.code === 'ENOENT')
            reject(new NvidiaSmiError(`${this.command}: not found (is the NVIDIA driver mounted?)`));
          else if (e.killed) reject(new NvidiaSmiError(`${what}: no answer within ${this.timeoutMs} ms`));
          else
            reject(new NvidiaSmiError(`${what}: exit ${String(e.code)}: ${(stderr || stdout).trim().split('\n')[0]}`));
        },
      );
    });
  }
}

/**
 * Reads `index, power.limit, power.default_limit, power.min_limit, power.max_limit` lines.
 * A GPU that reports `[N/A]` (no power management) cannot be capped and is left out; any other
 * unreadable line is an error, not a guess.
 */
export function parsePowerQuery(output: string): GpuPowerReading[] {
  const gpus: GpuPowerReading[] = [];
  for (const line of output.split('\n').map((l) => l.trim())) {
    if (line === '') continue;
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length !== 5 || !/^\d+$/.test(fields[0]))
      throw new NvidiaSmiError(`nvidia-smi power query: cannot read ${JSON.stringify(line)}`);
    if (fields.slice(1).some((f) => /^\[.*\]$/.test(f))) continue;
    const [limitWatts, defaultWatts, minWatts, maxWatts] = fields.slice(1).map(Number);
    if ([limitWatts, defaultWatts, minWatts, maxWatts].some((w) => !Number.isFinite(w) || w <= 0))
      throw new NvidiaSmiError(`nvidia-smi power query: cannot read ${JSON.stringify(line)}`);
    gpus.push({ index: Number(fields[0]), limitWatts, defaultWatts, minWatts, maxWatts });
  }
  return gpus;
}
